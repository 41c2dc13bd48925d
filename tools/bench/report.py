"""Summaries, targets and the Markdown report of a benchmark run.

Every Folio figure is read against the floor measured in the same run: requests/s as Folio ÷ floor
(the median of Folio's rounds over the median of the floor's), with the range of the per-round
ratios beside it so noise is visible.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Any

from bench.loadgen import WrkRun

RPS_TARGETS = {"get": 0.50, "list": 0.40, "create": 0.35, "mix": 0.40, "health": 0.60}
IMPORT_TARGET = 0.20
LOGIN_TARGET = 1.15
STORM_TARGET = 3.0
SOAK_TARGET = 0.10
STATEMENT_TARGETS = {"get": 2, "list": 4, "create_3_new_tags": 8}
WORKLOAD_TITLES = {
    "get": "get one book",
    "list": "list 20 books with author and tags",
    "create": "create a book with 3 tags",
    "mix": "mix (60% get, 30% list, 10% create)",
    "health": "`/health` vs static response",
}


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def side_summary(runs: list[WrkRun]) -> dict[str, Any]:
    rps = [run.rps for run in runs]
    return {
        "rounds": len(runs),
        "rps_median": _median(rps),
        "rps_min": min(rps) if rps else None,
        "rps_max": max(rps) if rps else None,
        "p50_ms_median": _median([run.latency_ms["p50"] for run in runs]),
        "p99_ms_median": _median([run.latency_ms["p99"] for run in runs]),
        "errors": sum(run.error_count for run in runs),
        "cpu_ms_per_request_median": _median([v for run in runs if (v := run.cpu_ms_per_request) is not None]),
        "db_cpu_ms_per_request_median": _median([v for run in runs if (v := run.db_cpu_ms_per_request) is not None]),
        "others_share_max": max((run.others_share for run in runs), default=None),
    }


def workload_summary(folio: list[WrkRun], floor: list[WrkRun]) -> dict[str, Any]:
    folio_side, floor_side = side_summary(folio), side_summary(floor)
    ratio = None
    if folio_side["rps_median"] is not None and floor_side["rps_median"]:
        ratio = folio_side["rps_median"] / floor_side["rps_median"]
    pairs = [one.rps / other.rps for one, other in zip(folio, floor, strict=False) if other.rps]
    return {
        "folio": folio_side,
        "floor": floor_side,
        "ratio": ratio,
        "ratio_min": min(pairs) if pairs else None,
        "ratio_max": max(pairs) if pairs else None,
    }


def geometric_mean(values: list[float]) -> float | None:
    positive = [value for value in values if value > 0]
    if not positive:
        return None
    return math.exp(sum(math.log(value) for value in positive) / len(positive))


@dataclass(frozen=True)
class Check:
    name: str
    value: float | None
    target: str
    passed: bool | None
    """None: not measured in this run."""
    shown: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "target": self.target, "passed": self.passed}

    @property
    def verdict(self) -> str:
        return "—" if self.passed is None else ("PASS" if self.passed else "FAIL")


def _fmt(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _at_least(name: str, value: float | None, target: float) -> Check:
    passed = None if value is None else value >= target
    return Check(name, value, f"≥ {target:.2f}", passed, _fmt(value))


def _at_most(name: str, value: float | None, target: float, *, below: bool = False) -> Check:
    passed = None if value is None else (value < target if below else value <= target)
    return Check(name, value, f"{'<' if below else '≤'} {target:g}", passed, _fmt(value))


def build_checks(results: dict[str, Any]) -> list[Check]:
    """The issue's targets, against the server the benchmark found better."""
    server = results.get("server_choice", {}).get("better")
    workloads = results.get("http", {}).get(server, {}) if server else {}
    checks = [
        _at_least(f"{WORKLOAD_TITLES[name]} ({server}): req/s ratio", workloads[name]["summary"]["ratio"], target)
        for name, target in RPS_TARGETS.items()
        if name in workloads
    ]
    bulk = results.get("import")
    checks.append(_at_least("bulk import rows/s vs COPY", bulk.get("ratio") if bulk else None, IMPORT_TARGET))
    login = results.get("login")
    checks.append(_at_most("login latency vs raw verify", login.get("ratio") if login else None, LOGIN_TARGET))
    errors = [
        summary["summary"]["folio"]["errors"]
        for by_workload in results.get("http", {}).values()
        for summary in by_workload.values()
    ]
    total_errors = sum(errors) if errors else None
    error_check = None if total_errors is None else total_errors == 0
    checks.append(Check("errors in Folio's load runs", total_errors, "0", error_check, str(total_errors)))
    statements = results.get("statements") or {}
    for name, target in STATEMENT_TARGETS.items():
        count = statements.get(name, {}).get("per_request")
        label = name.replace("create_3_new_tags", "create with 3 new tags")
        checks.append(
            Check(
                f"SQL statements per request: {label}",
                count,
                f"≤ {target}",
                None if count is None else count <= target,
                _fmt(count, 0),
            )
        )
    storm = results.get("storm")
    checks.append(
        _at_most(
            "get p99 during a login storm ÷ unloaded", storm.get("ratio") if storm else None, STORM_TARGET, below=True
        )
    )
    soak = results.get("soak")
    growth = soak.get("growth") if soak else None
    checks.append(
        Check(
            "memory growth over the soak (after warm-up)",
            growth,
            f"≤ {SOAK_TARGET:.0%}",
            None if growth is None else growth <= SOAK_TARGET,
            "—" if growth is None else f"{growth:+.1%}",
        )
    )
    return checks


def checks_table(checks: list[Check]) -> str:
    lines = ["| check | value | target | result |", "|---|---|---|---|"]
    lines += [f"| {check.name} | {check.shown} | {check.target} | {check.verdict} |" for check in checks]
    return "\n".join(lines)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _side(side: dict[str, Any]) -> str:
    return f"{_fmt(side['rps_median'], 0)} ({_fmt(side['rps_min'], 0)}-{_fmt(side['rps_max'], 0)})"


def workload_table(by_workload: dict[str, Any], statements: dict[str, Any], floor_statements: dict[str, int]) -> str:
    lines = [
        "| workload | Folio req/s (range) | floor req/s (range) | ratio (rounds) | p50 ms Folio / floor "
        "| p99 ms Folio / floor | server CPU ms/req Folio / floor | DB CPU ms/req Folio / floor "
        "| SQL/req Folio / floor | errors Folio / floor | other processes' CPU, worst run Folio / floor |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, entry in by_workload.items():
        summary = entry["summary"]
        folio, floor = summary["folio"], summary["floor"]
        sql = statements.get(name, {}).get("per_request")
        lines.append(
            f"| {WORKLOAD_TITLES.get(name, name)} | {_side(folio)} | {_side(floor)} "
            f"| {_fmt(summary['ratio'])} ({_fmt(summary['ratio_min'])}-{_fmt(summary['ratio_max'])}) "
            f"| {_fmt(folio['p50_ms_median'], 1)} / {_fmt(floor['p50_ms_median'], 1)} "
            f"| {_fmt(folio['p99_ms_median'], 1)} / {_fmt(floor['p99_ms_median'], 1)} "
            f"| {_fmt(folio['cpu_ms_per_request_median'])} / {_fmt(floor['cpu_ms_per_request_median'])} "
            f"| {_fmt(folio['db_cpu_ms_per_request_median'])} / {_fmt(floor['db_cpu_ms_per_request_median'])} "
            f"| {_fmt(sql, 1)} / {_fmt(floor_statements.get(name), 1)} "
            f"| {folio['errors']} / {floor['errors']} "
            f"| {_percent(folio['others_share_max'])} / {_percent(floor['others_share_max'])} |"
        )
    return "\n".join(lines)


def server_table(results: dict[str, Any]) -> str:
    http = results.get("http", {})
    kinds = list(http)
    lines = [
        "| workload | " + " | ".join(f"Folio on {kind} req/s (ratio to its floor)" for kind in kinds) + " |",
        "|---|" + "---|" * len(kinds),
    ]
    names = [name for name in WORKLOAD_TITLES if any(name in http[kind] for kind in kinds)]
    for name in names:
        cells = []
        for kind in kinds:
            summary = http[kind].get(name, {}).get("summary")
            cells.append(
                "—" if summary is None else f"{_fmt(summary['folio']['rps_median'], 0)} ({_fmt(summary['ratio'])})"
            )
        lines.append(f"| {WORKLOAD_TITLES[name]} | " + " | ".join(cells) + " |")
    choice = results.get("server_choice", {})
    means = " · ".join(f"{kind}: {_fmt(value, 1)}" for kind, value in choice.get("folio_rps_geomean", {}).items())
    lines.append("")
    margin = choice.get("margin")
    ahead = "" if margin is None else f", ahead by {margin:.0%}"
    lines.append(
        f"Geometric mean of Folio's req/s over the workloads: {means}. Better: **{choice.get('better')}**{ahead}."
    )
    return "\n".join(lines)


def details(results: dict[str, Any]) -> list[str]:
    out: list[str] = []
    login = results.get("login")
    if login:
        out.append(
            f"- **Login**: median {_fmt(login['folio']['median_ms'], 1)} ms over {login['folio']['logins']} logins "
            f"one at a time (errors {login['folio']['errors']}); raw Argon2 verify of the same hash "
            f"{_fmt(login['raw_verify']['median_ms'], 1)} ms; ratio {_fmt(login['ratio'])}."
        )
    storm = results.get("storm")
    if storm:
        out.append(
            f"- **Login storm** ({storm['concurrency']} concurrent logins, {storm['logins']['logins']} done, "
            f"errors {storm['logins']['errors']}): get p99 {_fmt(storm['loaded_p99_ms'], 1)} ms vs "
            f"{_fmt(storm['unloaded_p99_ms'], 1)} ms unloaded; ratio {_fmt(storm['ratio'])}."
        )
    bulk = results.get("import")
    if bulk:
        out.append(
            f"- **Bulk import** of {bulk['rows']} rows: Folio's job {_fmt(bulk['folio_rows_per_s'], 0)} rows/s, "
            f"COPY floor {_fmt(bulk['floor_rows_per_s'], 0)} rows/s (medians of {len(bulk['folio'])} rounds); "
            f"ratio {_fmt(bulk['ratio'])}."
        )
    soak = results.get("soak")
    if soak:
        out.append(
            f"- **Memory soak** ({soak['seconds']} s of the mix, warm-up {soak['warmup_seconds']} s): RSS "
            f"{soak['baseline_mib']:.1f} MiB after warm-up, {soak['final_mib']:.1f} MiB at the end "
            f"(peak {soak['peak_mib']:.1f} MiB); growth {soak['growth']:+.1%}; {soak['requests']} requests, "
            f"errors {soak['errors']}."
        )
    logging = results.get("logging")
    if logging:
        out.append(
            f"- **Logging cost** (get one book, `LOG_LEVEL=INFO` with one JSON line per request vs `WARNING`): "
            f"{_fmt(logging['info_rps'], 0)} vs {_fmt(logging['warning_rps'], 0)} req/s, ratio "
            f"{_fmt(logging['ratio'])}. The load runs use `LOG_LEVEL=WARNING`."
        )
    return out


def markdown(results: dict[str, Any], checks: list[Check]) -> str:
    settings = results["settings"]
    machine = results["machine"]
    dataset = ", ".join(f"{count} {name}" for name, count in settings["dataset"].items())
    if machine["app_src_is_work_tree"]:
        source = f"the work tree at {machine['git_commit']}" + (
            " with uncommitted changes" if machine["git_dirty"] else ""
        )
    else:
        source = f"{machine['app_src']} (work tree at {machine['git_commit']})"
    rounds = settings["rounds"]
    lines = [
        f"# Folio benchmark {results['started_at']}" + (f" — {settings['label']}" if settings.get("label") else ""),
        "",
        f"App source: {source}. {machine['cpus']} CPUs, load average {machine['load_average']} at the start; "
        f"PostgreSQL {machine['postgres']}; dataset {dataset}.",
        f"Load: wrk, {settings['threads']} threads, {settings['connections']} connections, "
        f"{settings['warmup_s']:g} s warm-up per server and workload, then {rounds} round{'s' if rounds != 1 else ''} "
        f"of {settings['duration_s']:g} s alternating Folio and the floor. Medians, with ranges in brackets. "
        "\"Other processes' CPU\" is the share of the machine's CPU that neither the server, PostgreSQL nor wrk "
        "used during a run: high values mean a noisy run.",
        "",
        "## Targets",
        "",
        checks_table(checks),
        "",
    ]
    for kind, by_workload in results.get("http", {}).items():
        lines += [
            f"## Workloads on {kind}",
            "",
            workload_table(by_workload, results.get("statements") or {}, results.get("floor_statements", {})),
            "",
        ]
    if len(results.get("http", {})) > 1:
        lines += ["## granian vs uvicorn", "", server_table(results), ""]
    extra = details(results)
    if extra:
        lines += ["## Login, import, soak, logging", "", *extra, ""]
    statements = results.get("statements")
    if statements:
        lines += ["## Folio's SQL per request", ""]
        for name, entry in statements.items():
            if entry.get("statements"):
                lines.append(f"- **{name}** ({entry['per_request']}):")
                lines += [f"  - `{statement[:160]}`" for statement in entry["statements"]]
        lines.append("")
    return "\n".join(lines)
