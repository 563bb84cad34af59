"""`demandos serve` (the web app) and `demandos user add|list|passwd|role|token|revoke` (who may
sign in to it). Thin: the work is in ``demandos.web``."""

from __future__ import annotations

import getpass
import os
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

import typer

from demandos.cli import render
from demandos.errors import DemandosError
from demandos.workspace import Workspace, find_root

user_app = typer.Typer(
    help="Who may sign in to the web app: users, roles, passwords, API tokens.",
    no_args_is_help=True,
)
WorkspaceOpt = Annotated[
    Path | None, typer.Option("--workspace", "-w", help="Workspace folder (default: current).")
]
RoleOpt = Annotated[
    Literal["viewer", "editor", "admin"],
    typer.Option("--role", "-r", help="viewer reads; editor also records and decides; admin all."),
]
PASSWORD_ENV = "DEMANDOS_PASSWORD"


def _password(confirm: bool = True) -> str:
    """The password from DEMANDOS_PASSWORD (scripts), else asked twice without echo."""
    given = os.environ.get(PASSWORD_ENV)
    if given:
        return given
    first = getpass.getpass("Password: ")
    if confirm and getpass.getpass("Again: ") != first:
        raise DemandosError("the two passwords differ", hint="type the same password twice")
    return first


def serve(
    path: Annotated[
        Path | None, typer.Argument(help="Workspace folder (default: current or above).")
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    today: Annotated[
        str | None, typer.Option(help="Fix the date the app calls today (YYYY-MM-DD), for demos.")
    ] = None,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Worker processes (each opens the workspace).")
    ] = 1,
) -> None:
    """Serve the web app: metrics, reviews, actions, kernel, assets, data, and the REST API."""
    import uvicorn

    from demandos.web.app import create_app

    root = find_root(path)
    fixed = date.fromisoformat(today) if today else None
    app = create_app(root, today=fixed)
    if not app.state.users.list():
        render.console.print(
            "[yellow]No user can sign in yet:[/] run `demandos user add LOGIN --role admin`.",
            highlight=False,
        )
    render.console.print(f"demandos serves {root} on http://{host}:{port}/", highlight=False)
    if workers == 1:
        uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False)
        return
    app.state.site.close()  # each worker process opens its own
    os.environ["DEMANDOS_WORKSPACE"] = str(root)
    if fixed is not None:
        os.environ["DEMANDOS_TODAY"] = fixed.isoformat()
    uvicorn.run(
        "demandos.web.app:app_from_env", factory=True, workers=workers, host=host, port=port,
        log_level="warning", proxy_headers=False,
    )  # fmt: skip


@user_app.command("add")
def add(
    login: Annotated[str, typer.Argument(help="A name or email, no spaces.")],
    role: RoleOpt = "viewer",
    person: Annotated[
        str | None, typer.Option(help="Their id in team.yaml: what they decide is theirs.")
    ] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Add a user (password from DEMANDOS_PASSWORD, or asked)."""
    from demandos.web.users import Users

    with Workspace.open(workspace) as ws:
        if person is not None:
            ws.cadence_log.check_owner(person, "person")
        account = Users(ws.log).add(login, _password(), role, person_id=person)
    render.console.print(f"✓ {account.login} added as {account.role}", highlight=False)


@user_app.command("list")
def list_users(workspace: WorkspaceOpt = None) -> None:
    """The users and their roles."""
    from demandos.web.users import Users

    with Workspace.open(workspace) as ws:
        accounts = Users(ws.log).list()
    rows = [(a.login, a.role, a.person_id or "") for a in accounts]
    render.console.print(render.table("Users", ["login", "role", "person"], rows))


@user_app.command("passwd")
def passwd(login: str, workspace: WorkspaceOpt = None) -> None:
    """Set a user's password; their browser sessions end."""
    from demandos.web.users import Users

    with Workspace.open(workspace) as ws:
        Users(ws.log).set_password(login, _password())
    render.console.print(f"✓ password of {login} changed", highlight=False)


@user_app.command("role")
def role(
    login: str,
    new_role: Annotated[str, typer.Argument(metavar="ROLE")],
    workspace: WorkspaceOpt = None,
) -> None:
    """Change a user's role: viewer, editor or admin."""
    from demandos.web.users import Users

    with Workspace.open(workspace) as ws:
        account = Users(ws.log).set_role(login, new_role)
    render.console.print(f"✓ {account.login} is now {account.role}", highlight=False)


@user_app.command("token")
def token(
    login: str,
    name: Annotated[str, typer.Option(help="What the token is for.")] = "api",
    workspace: WorkspaceOpt = None,
) -> None:
    """Issue an API token for a user: shown once, send it as `Authorization: Bearer …`."""
    from demandos.web.users import Users

    with Workspace.open(workspace) as ws:
        issued = Users(ws.log).issue_token(login, name)
    typer.echo(issued)


@user_app.command("revoke")
def revoke(login: str, workspace: WorkspaceOpt = None) -> None:
    """Revoke every API token of a user."""
    from demandos.web.users import Users

    with Workspace.open(workspace) as ws:
        count = Users(ws.log).revoke_tokens(login)
    render.console.print(f"✓ {count} token(s) of {login} revoked", highlight=False)
