"""The `ledger` command: a thin click layer over the `ledger` library.

Errors are turned into one stderr line and an exit status in one place (`LedgerGroup.main`):
1 for a rejected event, a failed check or a bad file; 2 for a usage error.
"""

from __future__ import annotations

import sys

import click

from commands.context import LedgerContext
from ledger import __version__

# A file with more bad lines than this shows the first ones and a count of the rest.
MAX_PROBLEMS_SHOWN = 100


class LedgerGroup(click.Group):
    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        from ledger.errors import BatchError, LedgerError

        try:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Exit as done:
            code = done.exit_code
        except click.exceptions.NoArgsIsHelpError as error:
            # Bare `ledger` (or `ledger region`): the help the user is after, not an error.
            click.echo(error.ctx.get_help() if error.ctx else error.format_message())
            code = 0
        except click.ClickException as error:
            _error(error.format_message())
            code = error.exit_code
        except click.Abort:
            _error("aborted")
            code = 1
        except BatchError as error:
            for problem in error.problems[:MAX_PROBLEMS_SHOWN]:
                _error(str(problem))
            count = len(error.problems)
            if count > MAX_PROBLEMS_SHOWN:
                _error(f"… and {count - MAX_PROBLEMS_SHOWN} more problems (nothing was written)")
            else:
                _error(f"nothing was written ({count} bad line{'' if count == 1 else 's'})")
            code = 1
        except LedgerError as error:
            _error(str(error))
            code = 1
        except BrokenPipeError:
            code = 1
        # Anything else is a bug and keeps its traceback: the library raises the database's own
        # refusals (a connection cut, a role without the privilege) as LedgerDatabaseError.
        if standalone_mode:
            sys.exit(code)
        return code


def _error(message: str) -> None:
    """One `error:` line on stderr: a driver's multi-line message joined, any password hidden."""
    from ledger.redact import hide_password

    lines = [line.strip() for line in str(message).strip().splitlines() if line.strip()]
    click.echo(f"error: {hide_password(' '.join(lines))}", err=True)


@click.group(cls=LedgerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    metavar="URL",
    envvar="LEDGER_DB",
    help="SQLAlchemy URL or SQLite file path [env LEDGER_DB; default ./ledger.db].",
)
@click.option(
    "--actor",
    metavar="NAME",
    envvar="LEDGER_ACTOR",
    help="Who records events [env LEDGER_ACTOR; default the login name].",
)
@click.version_option(__version__, "-V", "--version", prog_name="ledger")
@click.pass_context
def main(ctx: click.Context, db: str | None, actor: str | None) -> None:
    """An event-sourced procurement ledger: budgets, orders, leases and policies as an
    immutable, hash-chained SQL log, with point-in-time reports.

    \b
    Example:
      ledger demo
      ledger --db ledger.db query budget --as-of 2025-06-30 --region CN
    """
    ctx.obj = LedgerContext(db=db, actor=actor)
    ctx.call_on_close(ctx.obj.close)


def _register() -> None:
    from commands import (
        admin,
        approvals,
        audit,
        budget,
        compliance,
        db,
        diff,
        fx,
        invoice,
        lease,
        moving,
        order,
        payment,
        period,
        policy,
        query,
        receipt,
        region,
        report,
        serve,
        supplier,
    )

    for module in (
        admin,
        region,
        supplier,
        fx,
        budget,
        order,
        lease,
        policy,
        receipt,
        invoice,
        payment,
        period,
        approvals,
        audit,
        query,
        diff,
        compliance,
        report,
        db,
        moving,
        serve,
    ):
        for command in module.COMMANDS:
            main.add_command(command)
    _every_missing_option_at_once(main)


def _every_missing_option_at_once(command: click.Command) -> None:
    """Click reports the first missing required option and stops; a person who forgot three
    wants to hear of all three. Each command's parse_args is wrapped (once, here, for the whole
    tree) to name every missing one in a single usage error."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _every_missing_option_at_once(sub)
        return
    parse = command.parse_args

    def parse_args(ctx: click.Context, args: list[str]) -> list[str]:
        given = list(args)
        try:
            return parse(ctx, args)
        except click.MissingParameter:
            missing = _missing(command, ctx, given)
            if len(missing) > 1:
                raise click.UsageError(f"Missing options {', '.join(missing)}.", ctx) from None
            raise

    command.parse_args = parse_args  # type: ignore[method-assign]


def _missing(command: click.Command, ctx: click.Context, args: list[str]) -> list[str]:
    """The required parameters the arguments leave without a value (none from an environment
    variable or a default either), as click names them in its own message."""
    opts, _, _ = command.make_parser(ctx).parse_args(args=list(args))
    missing = []
    for param in command.get_params(ctx):
        if not param.required:
            continue
        value, _ = param.consume_value(ctx, opts)
        if param.value_is_missing(value):
            missing.append(param.get_error_hint(ctx))
    return missing


_register()
