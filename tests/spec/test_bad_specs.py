"""`demandos check` on bad workspaces: each case breaks the starter in one place and asserts the
exact file, line, field, message and hint of what is reported.

Each case edits the starter workspace, so these tests also guard the starter itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from demandos.spec import check_workspace

from .conftest import Edit, line_of


@dataclass(frozen=True)
class Case:
    id: str
    file: str
    old: str
    new: str
    field: str
    message: str  # the finding's exact message
    hint: str  # a part of the hint that must be there
    line_delta: int = 0  # the finding is this many lines below the edit
    at: str | None = None  # …or at the line where this text is, after the edit
    column: int | None = None
    severity: str = "error"
    errors: int = 1  # how many errors the workspace then has in all


# fmt: off
CASES = [
    # YAML syntax ------------------------------------------------------------------------
    Case("yaml-tab", "team.yaml", "  - id: priya", "\t- id: priya", "",
         "tab character in indentation", "spaces only", column=1),
    Case("yaml-duplicate-key", "team.yaml", "    role: marketing_ops\n",
         "    role: marketing_ops\n    role: content_marketer\n", "", "duplicate key 'role'",
         "remove or rename one of them", line_delta=1, column=5),
    Case("yaml-unclosed-quote", "cadence.yaml", 'time: "09:30"', 'time: "09:30', "",
         "a quoted value opened at line {line} is never closed", "add the closing quote",
         column=11),
    Case("yaml-bad-indentation", "team.yaml", "    role: marketing_ops", "   role: marketing_ops",
         "", "bad indentation", "must start in the same column", column=4),
    Case("yaml-colon-in-value", "kernel.yaml", "  category: Accounts-payable automation",
         "  category: Accounts: payable automation", "", "unexpected ':' in a value",
         "put quotes around a value"),
    # schema: keys, types, enums -----------------------------------------------------------
    Case("unknown-key", "metrics.yaml", "    owner: maya\n    builtin: der",
         "    ownr: maya\n    builtin: der", "metrics[0].ownr", "unknown field 'ownr'",
         "did you mean 'owner'?", column=5),
    Case("wrong-type", "demandos.yaml", "fiscal_year_start_month: 1",
         "fiscal_year_start_month: April", "fiscal_year_start_month",
         "expected a whole number, got the text 'April'", "e.g. `fiscal_year_start_month: 4`"),
    Case("bad-enum", "channels.yaml", "type: paid", "type: payed", "channels[5].type",
         "'payed' is not a valid type", "did you mean 'paid'? (one of: owned, earned, paid)"),
    Case("bad-timezone", "demandos.yaml", "timezone: America/New_York",
         "timezone: America/NewYork", "timezone", "'America/NewYork' is not a known timezone",
         "did you mean 'America/New_York'?", column=11),
    Case("bad-currency", "demandos.yaml", "currency: USD", "currency: usd", "currency",
         "'usd' is not a currency code", "did you mean 'USD'?"),
    Case("bad-time", "cadence.yaml", 'time: "09:30"', 'time: "9.30am"', "rituals[0].time",
         "'9.30am' is not a time of day", "HH:MM on a 24-hour clock"),
    Case("bad-sla", "workflows/lead_to_opportunity.yaml", "sla: 4d", "sla: 4 days", "sla",
         "'4 days' is not a duration", "30m, 4h, 2d or 1w"),
    Case("bad-id", "team.yaml", "  - id: maya", "  - id: Maya O", "people[0].id",
         "'Maya O' is not a valid id", "e.g. 'maya_o'"),
    Case("bad-calculation-type", "metrics.yaml", "      type: ratio", "      type: ration",
         "metrics[7].calculation", "unknown calculation type 'ration'",
         "did you mean 'ratio'?", line_delta=-1),
    Case("unknown-builtin", "metrics.yaml", "builtin: cpl", "builtin: cost_per_lead",
         "metrics[8].builtin", "'cost_per_lead' is not a built-in metric",
         "did you mean 'cpl'?"),
    Case("ritual-weekday-range-backwards", "cadence.yaml", "day: tuesday-thursday",
         "day: thursday-tuesday", "rituals[1].day", "'thursday-tuesday' is not a weekday",
         "or a range (tuesday-thursday)"),
    Case("ritual-frequency-vs-kind", "cadence.yaml", "kind: qbr\n    frequency: quarterly",
         "kind: qbr\n    frequency: monthly", "rituals[8].frequency",
         "a qbr ritual is quarterly, not monthly", "set `frequency: quarterly`", line_delta=1),
    Case("postgres-without-url", "demandos.yaml", "  backend: embedded", "  backend: postgres",
         "store", "backend 'postgres' needs a url", "${DEMANDOS_DB_PASSWORD}", at="store:"),
    # owners -------------------------------------------------------------------------------
    Case("metric-owner-not-in-team", "metrics.yaml", "owner: jonas", "owner: jonah",
         "metrics[3].owner", "unknown person 'jonah'", "did you mean 'jonas'?", column=12),
    Case("metric-two-owners", "metrics.yaml", "owner: jonas", "owner: [jonas, maya]",
         "metrics[3].owner", "exactly one owner is allowed, got 'jonas', 'maya'",
         "shared ownership is no ownership"),
    Case("metric-owners-in-one-string", "metrics.yaml", "owner: jonas", "owner: jonas and maya",
         "metrics[3].owner", "exactly one owner is allowed, got 'jonas', 'maya'",
         "keep one person id"),
    Case("workflow-without-owner", "workflows/lead_to_opportunity.yaml",
         "owner: jonas\ndescription", "description", "owner", "missing required field 'owner'",
         "one person id from team.yaml: maya, jonas, priya", at="id: lead_to_opportunity"),
    Case("tool-without-owner", "stack.yaml", "    owner: priya\n", "", "tools[5].owner",
         "missing required field 'owner'", "add `owner:` here", line_delta=-3),
    Case("ritual-attendee-unknown", "cadence.yaml", "attendees: [jonas, priya]",
         "attendees: [jonas, pria]", "rituals[0].attendees[1]", "unknown person 'pria'",
         "did you mean 'priya'?", column=24),
    Case("step-owner-unknown", "workflows/campaign_launch.yaml", "    owner: priya",
         "    owner: pryia", "steps[1].owner", "unknown person 'pryia'", "did you mean 'priya'?"),
    # the metric tree ---------------------------------------------------------------------------
    Case("unknown-parent", "metrics.yaml", "parent: pipeline_created",
         "parent: pipeline_create", "metrics[4].parent", "unknown metric 'pipeline_create'",
         "did you mean 'pipeline_created'?"),
    Case("tier-not-below-parent", "metrics.yaml", "    tier: 4\n    parent: cpl",
         "    tier: 3\n    parent: cpl", "metrics[10].tier",
         "tier-3 metric 'ctr' sits under 'cpl', which is tier 3", "make it tier 4"),
    Case("tier-1-with-parent", "metrics.yaml", "    tier: 1\n", "    tier: 1\n    parent: der\n",
         "metrics[0].parent", "tier-1 metric 'der' has a parent", "remove `parent:`",
         line_delta=1, errors=2),
    Case("metric-cycle", "metrics.yaml", "    parent: cpl\n", "    parent: ctr\n",
         "metrics[10].parent", "the metric tree has a cycle: ctr → ctr",
         "change one of these parents", errors=2),
    Case("duplicate-metric-id", "metrics.yaml", "  - id: mqls", "  - id: leads",
         "metrics[5].id", "duplicate id 'leads' in metrics", "ids must be unique"),
    Case("duplicate-competitor-id", "kernel.yaml", "  - id: smb_bill_pay", "  - id: status_quo",
         "competitors[2].id", "duplicate id 'status_quo' in competitors", "rename one of them",
         column=9),
    Case("metric-unknown-filter-column", "metrics.yaml", "{column: touch_type, op: eq",
         "{column: touchtype, op: eq", "metrics[13].calculation.filters[0].column",
         "unknown column of touchpoints 'touchtype'", "did you mean 'touch_type'?"),
    Case("metric-unknown-time-column", "metrics.yaml", "      time_column: ts",
         "      time_column: timestamp", "metrics[13].calculation.time_column",
         "unknown column of touchpoints 'timestamp'", "columns of touchpoints"),
    Case("metric-unknown-table", "metrics.yaml", "      table: touchpoints",
         "      table: touchpoint", "metrics[13].calculation.table",
         "'touchpoint' is not a canonical table", "did you mean 'touchpoints'?"),
    # programs and the kernel ---------------------------------------------------------------
    Case("program-unknown-segment", "channels.yaml", "segments: [mid_market_finance]\n",
         "segments: [mid_market_financ]\n", "programs[2].segments[0]",
         "unknown ICP segment 'mid_market_financ'", "did you mean 'mid_market_finance'?"),
    Case("program-unknown-pillar", "channels.yaml", "pillars: [audit_ready]",
         "pillars: [audit_redy]", "programs[3].pillars[0]", "unknown message pillar 'audit_redy'",
         "did you mean 'audit_ready'?"),
    Case("program-unknown-channel", "channels.yaml", "channel: webinars", "channel: webinar",
         "programs[2].channel", "unknown channel 'webinar'", "did you mean 'webinars'?"),
    Case("program-off-kernel", "channels.yaml", "    pillars: [audit_ready]\n", "",
         "programs[3]", "program 'review_generation' is off-kernel: it maps to no message pillar",
         "add `pillars:` with ids from kernel.yaml", line_delta=-5, severity="warning",
         errors=0),
    Case("persona-unknown-segment", "kernel.yaml", "segments: [mid_market_finance]\n",
         "segments: [mid_market]\n", "personas[2].segments[0]", "unknown ICP segment 'mid_market'",
         "did you mean 'mid_market_finance'?"),
    Case("segment-field-unknown-column", "kernel.yaml", "      countries: [US, CA]\n",
         "      countries: [US, CA]\n      fields: {domian: ['*.io']}\n",
         "segments[0].rules.fields.domian", "unknown column 'domian'",
         "did you mean 'domain'?", line_delta=1),
    Case("segment-field-range-on-text", "kernel.yaml", "      countries: [US, CA]\n",
         "      countries: [US, CA]\n      fields: {domain: {min: 3}}\n",
         "segments[0].rules.fields.domain",
         "accounts column 'domain' holds text, which fits patterns, not a range",
         "write `domain: ['value', 'prefix*']`", line_delta=1),
    Case("segment-field-patterns-on-time", "kernel.yaml", "      countries: [US, CA]\n",
         "      countries: [US, CA]\n      fields: {created_at: ['2025*']}\n",
         "segments[0].rules.fields.created_at",
         "accounts column 'created_at' holds timestamps, which fit a range, not patterns",
         "write `created_at: {min: ..., max: ...}`", line_delta=1),
    Case("segment-field-dedicated", "kernel.yaml", "      countries: [US, CA]\n",
         "      countries: [US, CA]\n      fields: {employees: {min: 5}}\n",
         "segments[0].rules.fields", "fields: 'employees' has a rule of its own",
         "write it as `employees:` beside `fields:`", line_delta=1),
    Case("persona-without-rules", "kernel.yaml",
         '    titles: ["*accounts payable*", "ap manager", "*payables*"]\n', "",
         "personas[2]",
         "persona 'ap_manager' has no title or department pattern, so no one matches it",
         "add `titles:", line_delta=-2),
    Case("narrative-unknown-pillar", "kernel.yaml", "competitors:\n",
         "narrative:\n  statement: One story.\n  products:\n"
         "    - {id: ap, name: AP, role: pays invoices, pillars: [close_fastr]}\ncompetitors:\n",
         "narrative.products[0].pillars[0]", "unknown message pillar 'close_fastr'",
         "did you mean 'close_faster'?", at="close_fastr"),
    Case("tool-unknown-process", "stack.yaml", "processes: [creative_development]",
         "processes: [creative_dev]", "tools[5].processes[0]",
         "unknown workflow or ritual 'creative_dev'", "did you mean 'creative_development'?"),
    Case("person-unknown-role", "team.yaml", "role: content_marketer", "role: content",
         "people[2].role", "unknown role 'content'", "roles in team.yaml"),
    Case("literal-password", "demandos.yaml", "  backend: embedded",
         "  backend: postgres\n  url: postgresql://demandos:hunter2@db:5432/marketing",
         "store.url", "the URL contains a password", "credentials belong in environment",
         line_delta=1, severity="warning", errors=0),
]
# fmt: on


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_spec_is_reported_at_its_place(workspace: Path, edit: Edit, case: Case) -> None:
    line = edit(case.file, case.old, case.new)
    report = check_workspace(workspace)

    message = case.message.format(line=line)
    found = [f for f in report.findings if f.message == message]
    assert found, "\n".join(f.render() for f in report.findings)
    finding = found[0]
    assert finding.severity == case.severity
    assert finding.location.file == case.file
    expected = line_of(workspace / case.file, case.at) if case.at else line + case.line_delta
    assert finding.location.line == expected
    if case.column is not None:
        assert finding.location.column == case.column
    assert finding.field == case.field
    assert finding.hint is not None and case.hint in finding.hint
    assert len(report.errors) == case.errors, "\n".join(f.render() for f in report.errors)
    assert report.ok == (case.errors == 0)


def test_there_are_at_least_twenty_distinct_bad_specs() -> None:
    assert len({c.id for c in CASES}) == len(CASES) >= 20


def test_duplicate_id_hint_names_the_first_line(workspace: Path, edit: Edit) -> None:
    first = line_of(workspace / "metrics.yaml", "  - id: leads")
    edit("metrics.yaml", "  - id: mqls", "  - id: leads")
    (finding,) = check_workspace(workspace).errors
    assert finding.hint == (
        f"it is already used at line {first}; ids must be unique within metrics, "
        "so rename one of them"
    )


def test_missing_required_file(workspace: Path) -> None:
    (workspace / "team.yaml").unlink()
    report = check_workspace(workspace)
    (finding,) = report.errors
    assert (finding.location.file, finding.location.line) == ("team.yaml", None)
    assert finding.message == "team.yaml is missing"
    assert finding.hint is not None and "`demandos init" in finding.hint


def test_misnamed_file_gets_a_rename_hint(workspace: Path) -> None:
    (workspace / "team.yaml").rename(workspace / "team.yml")
    (finding,) = check_workspace(workspace).errors
    assert finding.hint == "rename team.yml to team.yaml"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("# only a comment\n", "the file is empty"),
        ("- a\n- b\n", "the top level is a list, not a mapping of keys"),
        ("just words\n", "the top level is a single value ('just words'), not a mapping of keys"),
    ],
)
def test_file_that_is_not_a_mapping(workspace: Path, text: str, message: str) -> None:
    (workspace / "stack.yaml").write_text(text, encoding="utf-8")
    (finding,) = check_workspace(workspace).errors
    assert (finding.location.file, finding.location.line, finding.location.column) == (
        "stack.yaml",
        1,
        1,
    )
    assert finding.message == message
    assert finding.hint


def test_errors_in_several_files_are_all_reported(workspace: Path, edit: Edit) -> None:
    edit("demandos.yaml", "currency: USD", "currency: dollars")
    edit("metrics.yaml", "unit: ratio", "unit: ratios")
    edit("workflows/campaign_launch.yaml", "sla: 3w", "sla: soon")
    report = check_workspace(workspace)
    assert [f.location.file for f in report.errors] == [
        "demandos.yaml",
        "metrics.yaml",
        "workflows/campaign_launch.yaml",
    ]


def test_duplicate_workflow_id_across_files(workspace: Path) -> None:
    source = workspace / "workflows" / "campaign_launch.yaml"
    (workspace / "workflows" / "launch_copy.yaml").write_bytes(source.read_bytes())
    report = check_workspace(workspace)
    (error,) = report.errors
    assert error.location.file == "workflows/launch_copy.yaml"
    assert error.message == "duplicate workflow id 'campaign_launch'"
    assert error.hint is not None and "workflows/campaign_launch.yaml already uses it" in error.hint
    (warning,) = report.warnings
    assert (
        warning.message
        == "workflow id 'campaign_launch' does not match its file name 'launch_copy'"
    )
