"""Mailchimp: the campaign reports export (Reports → Download all reports → CSV).

One row per sent campaign: ``Title``, ``Subject``, ``List``, ``Send Date``
(``Jun 09, 2018 09:30 pm``, in the account's time zone), ``Total Recipients``,
``Successful Deliveries``, ``Soft Bounces``, ``Hard Bounces``, ``Unique Opens``, ``Open Rate``,
``Unique Clicks``, ``Click Rate``, ``Unsubscribes``, …, ``Unique Id`` (the campaign id).

Sends belong to the owned email channel through the ``newsletter / email`` UTM rule. The program
is the campaign's ``Title``: with Google Analytics link tracking on, Mailchimp writes the
campaign name into every link as ``utm_campaign``, so naming sends after their program ties the
report, the clicks and the program together. It maps to a program by name or id in channels.yaml
(``Close Notes (biweekly newsletter)`` or ``close_notes``); a title no program claims keeps its
own name, as any campaign does. The audience (``List``) is kept as ``list_name`` and says
nothing about the program.
Send times are read in the account's zone (the workspace's unless ``--timezone`` says otherwise)
and kept in the workspace's.
"""

from demandos.intake.connector import Connector, Context, col, number, trimmed, when
from demandos.intake.connectors._sql import cell, rows_with
from demandos.intake.registry import register

SEND_FORMATS = ("%b %d, %Y %I:%M %p", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")


@register
class MailchimpCampaigns(Connector):
    name = "mailchimp_campaigns"
    system = "Mailchimp"
    description = "Reports → Download all reports (campaign report export, .csv)"
    signature = ("Title", "Send Date", "Total Recipients", "Unique Id")
    required = ("Title", "Send Date", "Total Recipients", "Unique Id")
    outputs = {"email_campaigns": ""}  # the SQL depends on the account's zone: see ``sql``

    def sql(self, table: str, context: Context) -> str:
        sent = when(
            "Send Date", SEND_FORMATS, zone_from=self.source_zone(context), zone_to=context.timezone
        )
        return f"""
            SELECT {trimmed(col("Unique Id"))} AS campaign_id, NULL AS channel, NULL AS program_id,
                   {trimmed(col("Title"))} AS title, {cell("Subject")} AS subject,
                   {sent} AS send_time, {cell("List")} AS list_name,
                   {number("Total Recipients")} AS recipients,
                   {number("Successful Deliveries")} AS delivered,
                   {number("Unique Opens")} AS unique_opens,
                   {number("Unique Clicks")} AS unique_clicks,
                   {number("Unsubscribes")} AS unsubscribes,
                   {number("Hard Bounces")} AS hard_bounces,
                   {number("Soft Bounces")} AS soft_bounces,
                   'newsletter' AS utm_source, 'email' AS utm_medium, trim({
            col("Title")
        }) AS utm_campaign,
                   __row, __raw
            FROM {
            rows_with(
                "Subject",
                "List",
                "Successful Deliveries",
                "Unique Opens",
                "Unique Clicks",
                "Unsubscribes",
                "Hard Bounces",
                "Soft Bounces",
            )
        }
        """
