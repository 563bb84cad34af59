"""The web app (`demandos serve`): the operating system in a browser, for a team.

``users`` holds sign-in, roles, sessions and API tokens (no web framework needed, so the CLI's
`demandos user` uses it too); ``app.create_app`` builds the FastAPI application: server-rendered
pages and a REST API with an OpenAPI spec, over the same core functions the CLI calls.
"""
