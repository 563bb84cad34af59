"""The simulated company: a B2B SaaS demand engine with a known truth, for demo, tests, benchmarks.

Three steps, each its own module:

1. ``engine.simulate(params, size, seed, out_dir)`` runs 18 months of the company
   (``params.NORTHWIND``) and streams what happened, in canonical shape, to Parquet parts:

       out_dir/<table>/part-00000.parquet, part-00001.parquet, …

   for every canonical table of ``store/schema.py`` (with the extra columns below), and two
   auxiliary tables that only exports need:

   ========================  ===============================================================
   table                     extra columns beyond the canonical ones
   ========================  ===============================================================
   accounts                  segment (a SegmentParams id), in_icp (bool)
   people                    first_name, last_name, persona (kernel persona id or NULL),
                             segment, causal_channel (channel that truly caused the lead),
                             lifecycle_stage (lead, marketingqualifiedlead,
                             salesqualifiedlead, opportunity, customer)
   touchpoints               utm_source, utm_medium, utm_campaign (program id), is_causal
   opportunities             name, causal_channel, segment, owner (sales rep name)
   spend                     campaign (program id), cost_micros (int)
   web_sessions  (aux)       date, source, medium, campaign, sessions, engaged_sessions,
                             new_users, key_events
   email_campaigns (aux)     campaign_id, title, subject, send_time, list_name, recipients,
                             delivered, unique_opens, unique_clicks, unsubscribes,
                             hard_bounces, soft_bounces
   ========================  ===============================================================

   and the ground truth beside it (``truth_dir``): ``ground_truth.csv`` — per channel, the true
   incremental leads, MQLs, SQLs, opportunities, pipeline, won deals and won revenue it caused,
   plus its spend — and ``parameters.json`` (size, seed, every parameter).

2. ``exports.write_exports(sim_dir, exports_dir, …)`` writes what each platform would export
   (HubSpot, Salesforce, Google Ads, LinkedIn, Meta, GA4, Mailchimp, a survey tool), with their
   real headers and quirks, from those Parquet parts.

3. ``demo.build_demo(path, size, seed)`` writes the demo workspace's specs, runs 1 and 2, loads the
   data into the store and runs the main job.
"""
