"""``retrosense program list|show|check``: the interval programs a session can follow."""

from __future__ import annotations

import argparse

HELP = "list the interval programs, show one, or check program files"


def add_arguments(p: argparse.ArgumentParser) -> None:
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("list", help="the built-in programs and yours")
    show = actions.add_parser("show", help="a program's intervals and targets")
    show.add_argument("programs", nargs="+", metavar="NAME|FILE")
    check = actions.add_parser("check", help="validate program files")
    check.add_argument("programs", nargs="+", metavar="FILE")


def run(args: argparse.Namespace) -> int:
    from sensor.paths import user_programs_dir
    from sensor.programs import describe_program, load_program, load_program_file, program_files

    if args.action == "list":
        for name, path in program_files().items():
            program = load_program_file(path)
            print(f"{name:28} {program.name} — {program.description.splitlines()[0]}")
        print(f"(your own programs go in {user_programs_dir()})")
        return 0
    for item in args.programs:
        if args.action == "show":
            print("\n".join(describe_program(load_program(item))))
        else:
            program = load_program_file(item)
            print(f"ok: {item}: {program.name}, {len(program.plan())} intervals")
    return 0
