"""API sync: CRM records read incrementally from HubSpot and Salesforce into the fact store.

Each API object is read into the rows of the platform's own export and translated by the same
connector that reads that export, so a file and an API give the same canonical rows. See
``sync`` for the cursor and ``source`` for how a page becomes export rows.
"""

from demandos.intake.api.sync import SYSTEMS, SyncReport, System, open_source, sync, sync_object

__all__ = ["SYSTEMS", "SyncReport", "System", "open_source", "sync", "sync_object"]
