"""``python -m crew``: run the crew (needs an LLM), or ``--dry-run`` to build it and list its tools."""

from __future__ import annotations

import argparse
import sys

from .crew import CrewAIUnavailable, build_crew


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m crew")
    parser.add_argument("--dry-run", action="store_true", help="build the crew and print its agents and tools")
    parser.add_argument("question", nargs="?", default=None)
    args = parser.parse_args()
    try:
        crew = build_crew(args.question) if args.question else build_crew()
    except CrewAIUnavailable as e:
        print(e, file=sys.stderr)
        return 2
    if args.dry_run:
        for agent in crew.agents:
            print(f"{agent.role}: {', '.join(t.name for t in agent.tools)}")
        print(f"{len(crew.tasks)} tasks, process {crew.process.value}")
        return 0
    print(crew.kickoff())
    return 0


if __name__ == "__main__":
    sys.exit(main())
