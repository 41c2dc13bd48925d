"""The sustained mixed load test: two web processes and two SAQ workers on one PostgreSQL, clients that
read, write, sign in and import at the same time, and an integrity check of everything they were told.

    .venv/bin/python tools/load/run.py [--duration 60]
"""
