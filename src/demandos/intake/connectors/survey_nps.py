"""NPS and CSAT survey responses, as a survey tool's response export writes them (.csv, .xlsx).

One row per response: ``Response ID``, ``Created At`` (ISO 8601 in UTC,
``2026-03-04T15:22:10Z``), ``Email``, ``Name``, ``Company``, ``Survey Type`` (``NPS`` or
``CSAT``), ``Score``, ``Comment``, ``Tags`` (comma-separated in one cell). Times are converted to
the workspace's zone. An NPS response is kind ``nps``, anything else kind ``survey``.

A response without a score, or an NPS score outside 0-10, is refused with the column named: a
response is its score. Respondents are not matched to people or accounts here (the export
carries email and company names, not ids).
"""

from demandos.intake.connector import Connector, Context, col, number, trimmed, when
from demandos.intake.connectors._sql import blank, cell, flags, rows_with, shown
from demandos.intake.registry import register

CREATED = ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")
IS_NPS = f"upper({trimmed(col('Survey Type'))}) = 'NPS'"
SCORE = f"TRY_CAST({number('Score')} AS DOUBLE)"
CHECKS = flags(
    (blank("Score"), "'column Score: the response has no score'"),
    (
        f"{IS_NPS} AND NOT ({SCORE} BETWEEN 0 AND 10)",
        f"'column Score: ' || {shown('Score')} || ' is not an NPS score (0 to 10)'",
    ),
)


@register
class SurveyResponses(Connector):
    name = "survey_nps"
    system = "Survey tool (NPS / CSAT)"
    description = "the survey's responses export (one row per response), .csv or .xlsx"
    formats = (".csv", ".xlsx")
    signature = ("Response ID", "Survey Type", "Score")
    required = ("Response ID", "Created At", "Survey Type", "Score")
    timezone = "UTC"
    outputs = {"feedback": ""}  # the SQL converts times to the workspace's zone: see ``sql``

    def sql(self, table: str, context: Context) -> str:
        created = when(
            "Created At", CREATED, zone_from=self.source_zone(context), zone_to=context.timezone
        )
        return f"""
            SELECT {trimmed(col("Response ID"))} AS feedback_id, {created} AS ts,
                   NULL AS account_id, NULL AS person_id,
                   CASE WHEN {IS_NPS} THEN 'nps' ELSE 'survey' END AS kind,
                   {number("Score")} AS score, {cell("Comment")} AS text,
                   replace({col("Tags")}, ',', ';') AS tags, NULL AS competitor,
                   {CHECKS}, __row, __raw
            FROM {rows_with("Comment", "Tags")}
        """
