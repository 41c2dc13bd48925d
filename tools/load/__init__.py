"""The sustained mixed load test: two web processes and two SAQ workers on one PostgreSQL, clients that
read, write, sign in and import at the same time, and an integrity check of everything they were told.
With a fault and the system's PostgreSQL (and Redis), it is the scale-out proof.

    .venv/bin/python tools/load/run.py [--duration 60]
    .venv/bin/python tools/load/run.py --system-postgres [--system-redis] --kill-at 0.4
"""
