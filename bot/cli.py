"""The `careerbot` command line: ask, chat, eval, corpus, index, serve, start, feedback, helpers, discord."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from bot.chat import format_for, run_chat
from bot.settings import Settings, load_settings
from retrieval import Answer, CareerbotError, Engine, QuestionError
from retrieval.explain import format_explanation

EXIT_ERROR = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # a bare `careerbot`: say what it can do, not that it failed
        parser.print_help()
        return 0
    try:
        return int(args.handler(args) or 0)
    except CareerbotError as exc:  # the whole family (bot/errors.py): one line, exit 2
        print(f"careerbot: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130


def version() -> str:
    """The installed distribution's version (pyproject.toml's when installed from source)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("careerbot")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    """The parser: one sub-command per task or front end, each with its `handler`."""
    parser = argparse.ArgumentParser(prog="careerbot", description=__doc__)
    parser.add_argument("--version", action="version", version=f"careerbot {version()}")
    sub = parser.add_subparsers(dest="command")
    _add_engine_commands(sub)
    _add_service_commands(sub)
    _add_discord_commands(sub)
    return parser


# argparse has no public name for the object add_subparsers() returns.
Subcommands = argparse._SubParsersAction


def _with_corpus(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument(
        "--corpus",
        type=Path,
        help="corpus directory or .jsonl file (default: CAREERBOT_CORPUS or corpus/)",
    )
    p.add_argument(
        "--index", type=Path, help="a saved index to load instead of building (default: CAREERBOT_INDEX)"
    )
    return p


def _add_engine_commands(sub: Subcommands) -> None:
    """ask, chat, eval, corpus, index build: the engine alone, no chat platform."""
    ask = _with_corpus(sub.add_parser("ask", help="answer a question (or a batch of them)"))
    ask.add_argument("question", nargs="?", help="the question (omit with --batch)")
    ask.add_argument("--json", action="store_true", help="print one JSON object per question")
    ask.add_argument("--batch", metavar="FILE", help="one question per line; '-' reads stdin")
    ask.add_argument("--top-k", type=_positive_int, default=3, help="passages per answer (default 3)")
    ask.add_argument(
        "--explain",
        action="store_true",
        help="show the cleaned question, corrections, weighted concepts and the gate's verdict",
    )
    ask.set_defaults(handler=cmd_ask)

    chat = _with_corpus(sub.add_parser("chat", help="interactive prompt that answers like the bot"))
    chat.add_argument("--top-k", type=_positive_int, default=3)
    chat.set_defaults(handler=cmd_chat)

    ev = _with_corpus(sub.add_parser("eval", help="score a labelled question file"))
    ev.add_argument("file", type=Path)
    ev.add_argument("--verbose", "-v", action="store_true", help="list the misses")
    ev.add_argument("--json", action="store_true", help="print the report as JSON")
    ev.set_defaults(handler=cmd_eval)

    corpus = _with_corpus(
        sub.add_parser("corpus", help="check the corpus and print its documents and passages")
    )
    corpus.set_defaults(handler=cmd_corpus)

    index = sub.add_parser("index", help="build a saved index")
    index_sub = index.add_subparsers(dest="index_command", required=True)
    build = _with_corpus(index_sub.add_parser("build", help="build the index once and save it"))
    build.add_argument("--out", type=Path, required=True, help="where to write the index file")
    build.add_argument("--verbose", "-v", action="store_true", help="print the time of each stage")
    build.add_argument(
        "--jobs",
        "-j",
        type=_jobs,
        default=None,
        help="worker processes (default: the cores this machine has, up to 8)",
    )
    build.set_defaults(handler=cmd_index_build)


def _add_service_commands(sub: Subcommands) -> None:
    """serve, start, feedback: running the bot, and what it stored."""
    serve = sub.add_parser(
        "serve", help="run the Slack app: Socket Mode with SLACK_APP_TOKEN, HTTP otherwise"
    )
    mode = serve.add_mutually_exclusive_group()
    mode.add_argument(
        "--http", dest="mode", action="store_const", const="http", help="HTTP mode (Procfile web)"
    )
    mode.add_argument(
        "--socket", dest="mode", action="store_const", const="socket", help="Socket Mode (worker)"
    )
    serve.set_defaults(handler=cmd_serve, mode=None)

    start = sub.add_parser("start", help="run the bot when credentials are set, the local chat otherwise")
    start.set_defaults(handler=cmd_start)

    feedback = sub.add_parser(
        "feedback", help="print vote totals and questions that went unanswered or got a 👎"
    )
    feedback.add_argument("--json", action="store_true", help="print every figure as one JSON object")
    feedback.add_argument(
        "--days", metavar="N", help="the period: the last N days, today included (default 30)"
    )
    feedback.add_argument("--from", dest="start", metavar="DATE", help="the period's first day (YYYY-MM-DD)")
    feedback.add_argument("--to", dest="end", metavar="DATE", help="the period's last day (default today)")
    feedback.set_defaults(handler=cmd_feedback)

    health = sub.add_parser(
        "health", help="exit 0 when the Socket Mode worker or Discord gateway is connected (heartbeat file)"
    )
    health.add_argument("--file", type=Path, help="heartbeat file (default: CAREERBOT_HEARTBEAT_FILE)")
    health.add_argument(
        "--max-age", type=float, help="seconds a heartbeat stays fresh (default: three intervals)"
    )
    health.set_defaults(handler=cmd_health)

    helpers = sub.add_parser("helpers", help='list, set or clear a channel\'s helpers for "Ask a person"')
    helpers.add_argument("--platform", choices=("slack", "discord"), default="slack")
    helpers_sub = helpers.add_subparsers(dest="helpers_command")
    helpers_set = helpers_sub.add_parser("set", help="set a channel's helpers (CAREERBOT_HELPERS syntax)")
    helpers_set.add_argument("channel", help="channel id (Slack C…, Discord channel id)")
    helpers_set.add_argument("helpers", help="e.g. slack:S0123,slack:U0456 or discord:role:123")
    helpers_clear = helpers_sub.add_parser("clear", help="the channel uses CAREERBOT_HELPERS again")
    helpers_clear.add_argument("channel")
    helpers.set_defaults(handler=cmd_helpers)


def _add_discord_commands(sub: Subcommands) -> None:
    """discord register, discord gateway."""
    discord = sub.add_parser("discord", help="Discord commands")
    discord_sub = discord.add_subparsers(dest="discord_command", required=True)
    register = discord_sub.add_parser(
        "register", help="bulk-overwrite the slash commands (run once per deploy)"
    )
    register.add_argument("--guild", metavar="ID", help="register in one server only (instant; for testing)")
    register.add_argument(
        "--if-configured", action="store_true", help="do nothing (exit 0) when Discord is not configured"
    )
    register.set_defaults(handler=cmd_discord_register)
    gateway = discord_sub.add_parser("gateway", help="run the gateway worker (mentions, DMs, welcomes)")
    gateway.set_defaults(handler=cmd_discord_gateway)


def _jobs(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if not 1 <= number <= 64:
        raise argparse.ArgumentTypeError("must be between 1 and 64")
    return number


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if not 1 <= number <= 50:
        raise argparse.ArgumentTypeError("must be between 1 and 50")
    return number


# -- engine-only commands ------------------------------------------------------------------


def _settings_and_engine(args: argparse.Namespace) -> tuple[Settings, Engine]:
    overrides: dict[str, object] = {}
    if getattr(args, "corpus", None):
        overrides["careerbot_corpus"] = args.corpus
    if getattr(args, "index", None):
        overrides["careerbot_index"] = args.index
    settings = load_settings(**overrides)
    from bot.runtime import build_engine

    return settings, build_engine(settings)


def _render_answer(answer: Answer, args: argparse.Namespace, render: Callable[[Answer], str]) -> str:
    """One answer as --json or text; with --explain, the engine's reasoning first."""
    if args.json:
        return json.dumps(answer.to_public_json(), ensure_ascii=False)
    text = render(answer)
    if answer.explanation is not None:
        text = f"{format_explanation(answer.explanation)}\n\n{text}"
    return text


def cmd_ask(args: argparse.Namespace) -> int:
    if (args.question is None) == (args.batch is None):
        raise CareerbotError("give a question, or --batch FILE (not both)")
    _, engine = _settings_and_engine(args)
    render = format_for(sys.stdout)
    if args.batch is None:
        answer = engine.ask(args.question, top_k=args.top_k, explain=args.explain)
        print(_render_answer(answer, args, render))
        return 0
    failures = 0
    for line in _read_lines(args.batch):
        try:
            answer = engine.ask(line, top_k=args.top_k, explain=args.explain)
        except QuestionError as exc:
            failures += 1
            if args.json:
                print(
                    json.dumps(
                        {"question": line, "answered": False, "hits": [], "error": str(exc)},
                        ensure_ascii=False,
                    )
                )
            else:
                print(f"Q: {line[:200]}\n  error: {exc}\n")
            continue
        print(_render_answer(answer, args, render) + ("" if args.json else "\n"))
    sys.stdout.flush()
    return 0 if not failures else 1


def _read_lines(source: str) -> Iterable[str]:
    try:
        raw = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except OSError as exc:
        raise CareerbotError(f"{source}: cannot read ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CareerbotError(f"{source}: not UTF-8 text (bad byte at offset {exc.start})") from None
    return text.splitlines()


def cmd_chat(args: argparse.Namespace) -> int:
    _, engine = _settings_and_engine(args)
    return run_chat(engine, sys.stdin, sys.stdout, top_k=args.top_k)


def cmd_eval(args: argparse.Namespace) -> int:
    from retrieval.evaluation import evaluate, load_question_file

    questions = load_question_file(args.file)
    _, engine = _settings_and_engine(args)
    report = evaluate(questions, lambda q, k: engine.ask(q, top_k=k))
    if args.json:
        print(report.model_dump_json(indent=2))
        return 0
    if args.verbose and report.misses:
        print("Misses:")
        for miss in report.misses:
            where = f"rank {miss.rank}" if miss.rank else ("answered" if miss.answered else "no answer")
            print(f"  {miss.id} [{where}] {miss.question}")
            if miss.top_text:
                print(f"      top: {miss.top_text[:140]}")
        print()
    print(f"in-corpus questions: {report.in_corpus}   off-topic questions: {report.off_topic}")
    print(f"hit@1     {report.hit_at_1:.3f}")
    print(f"hit@3     {report.hit_at_3:.3f}")
    print(f"MRR@5     {report.mrr_at_5:.3f}")
    print(f"answered  {report.answered:.3f}  (in-corpus questions given an answer)")
    print(f"abstain   {report.abstained:.3f}  (off-topic questions refused)")
    return 0


def cmd_corpus(args: argparse.Namespace) -> int:
    _, engine = _settings_and_engine(args)
    counts: dict[str, int] = {}
    for passage in engine.passages:
        counts[passage.doc_id] = counts.get(passage.doc_id, 0) + 1
    print(f"{'document':40} {'passages':>8}  title")
    for doc in engine.documents:
        print(f"{doc.id[:40]:40} {counts.get(doc.id, 0):>8}  {doc.title[:70]}")
    print(
        f"\n{len(engine.documents)} documents, {len(engine.passages)} passages, "
        f"{engine.removed_duplicates} duplicate passages removed. The corpus is valid."
    )
    return 0


def cmd_index_build(args: argparse.Namespace) -> int:
    import os
    import time

    from retrieval.build import BuildTimes

    started = time.perf_counter()
    overrides = {"careerbot_corpus": args.corpus} if args.corpus else {}
    settings = load_settings(**overrides)  # built from the corpus, never from a previous index
    times = BuildTimes()
    # A live count on a terminal; nothing in CI logs or when stderr is piped.
    live = sys.stderr.isatty() and not os.environ.get("CI")

    def progress(stage: str, done: int) -> None:
        print(
            f"\r{stage}: {done:,} ({time.perf_counter() - started:.1f} s)",
            end="",
            file=sys.stderr,
            flush=True,
        )

    engine = Engine.from_corpus(
        settings.careerbot_corpus, progress=progress if live else None, times=times, jobs=args.jobs
    )
    if live:
        print(file=sys.stderr)
    saving = time.perf_counter()
    engine.save(args.out)
    times.seconds["save"] = time.perf_counter() - saving
    total = time.perf_counter() - started
    if args.verbose:
        for stage, seconds in times.ordered():
            print(f"  {stage:16} {seconds:7.2f} s")
        print(f"  {'total':16} {total:7.2f} s")
    print(
        f"wrote {args.out}: {len(engine.documents)} documents, {len(engine.passages)} passages in {total:.1f} s"
    )
    return 0


# -- front ends (implemented in their own modules) -------------------------------------------


def cmd_serve(args: argparse.Namespace) -> int:
    from bot.serve import serve

    return serve(load_settings(), args.mode)


def cmd_start(args: argparse.Namespace) -> int:
    settings = load_settings()
    if settings.has_slack or settings.has_discord:
        from bot.serve import serve

        return serve(settings)
    print("No SLACK_BOT_TOKEN or Discord settings: starting the local chat instead.", file=sys.stderr)
    from bot.runtime import build_engine

    return run_chat(build_engine(settings), sys.stdin, sys.stdout)


def cmd_feedback(args: argparse.Namespace) -> int:
    from bot.feedback_report import render_feedback_report
    from bot.insight.period import PeriodError, parse_period
    from bot.insight.report import insight_json, insight_text
    from bot.store import open_store

    try:
        period = parse_period(days=args.days, start=args.start, end=args.end)
    except PeriodError as exc:
        raise CareerbotError(str(exc)) from None
    store = open_store(load_settings())
    try:
        totals = store.feedback_totals()
        figures = store.insight(period.since, period.until)
    finally:
        store.close()
    if args.json:
        print(json.dumps(insight_json(figures, period, totals), ensure_ascii=False, indent=2))
    else:
        print(render_feedback_report(totals))
        print("\n" + insight_text(figures, period))
    return 0


def cmd_health(args: argparse.Namespace) -> int:
    from bot.health import EXIT_HEALTHY, EXIT_UNHEALTHY, check

    path = args.file
    if path is None:
        settings = load_settings()
        settings.require("careerbot_heartbeat_file")
        path = settings.careerbot_heartbeat_file
    healthy, line = check(path, args.max_age)
    print(line, file=sys.stdout if healthy else sys.stderr)
    return EXIT_HEALTHY if healthy else EXIT_UNHEALTHY


def cmd_helpers(args: argparse.Namespace) -> int:
    from bot.helpers import parse_helpers
    from bot.store import open_store

    settings = load_settings()
    store = open_store(settings)
    try:
        if args.helpers_command == "set":
            try:
                helpers = parse_helpers(args.helpers).for_platform(args.platform)
            except ValueError as exc:
                raise CareerbotError(f"helpers: {exc}") from None
            if not helpers.any_for(args.platform):
                raise CareerbotError(f"helpers: no {args.platform} helper in {args.helpers!r}")
            store.set_channel_helpers(args.platform, args.channel, helpers.to_text())
            print(f"{args.platform} channel {args.channel}: {helpers.to_text()}")
            return 0
        if args.helpers_command == "clear":
            store.set_channel_helpers(args.platform, args.channel, None)
            print(
                f"{args.platform} channel {args.channel}: CAREERBOT_HELPERS ({settings.careerbot_helpers or 'none'})"
            )
            return 0
        print(f"default (CAREERBOT_HELPERS): {settings.careerbot_helpers or '(none)'}")
        for platform, channel, helpers_text in store.list_channel_helpers():
            print(f"{platform} channel {channel}: {helpers_text}")
        return 0
    finally:
        store.close()


def cmd_discord_register(args: argparse.Namespace) -> int:
    from bot.discord.register import register_commands

    settings = load_settings()
    if args.if_configured and not (settings.discord_application_id and settings.discord_bot_token):
        print("Discord is not configured (DISCORD_APPLICATION_ID, DISCORD_BOT_TOKEN): nothing to register.")
        return 0
    return register_commands(settings, args.guild)


def cmd_discord_gateway(args: argparse.Namespace) -> int:
    from bot.discord.gateway import run_gateway
    from bot.runtime import build_engine
    from bot.store import open_store

    settings = load_settings()
    settings.require("discord_bot_token")
    run_gateway(settings, build_engine(settings), open_store(settings))
    return 0
