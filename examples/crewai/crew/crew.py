"""The crew: an analyst who reads orders (masked) and an SRE who looks at pods, with the tools from
``crew.tools`` wrapped as CrewAI tools. The tools themselves do not need crewai; this module does.

``make deps`` installs crewai (pinned in requirements.txt) into ``examples/crewai/crew/.venv``.
Running the crew (``python -m crew``) needs an LLM: CrewAI's default is OpenAI (``OPENAI_API_KEY``);
``CREWGATE_LLM`` picks another model string CrewAI understands, e.g. ``ollama/llama3.1``. This
repository's tests have no LLM: they build the crew (``python -m crew --dry-run``) and call the
tools directly.
"""

from __future__ import annotations

import os
import sys

from . import tools

# CrewAI sends anonymous usage telemetry by default; an agent pod behind crewgate has no business
# talking to hosts the policy does not know about.
os.environ.setdefault("CREWAI_DISABLE_TELEMETRY", "true")
os.environ.setdefault("OTEL_SDK_DISABLED", "true")
os.environ.setdefault("CREWAI_TRACING_ENABLED", "false")


class CrewAIUnavailable(RuntimeError):
    """crewai is not importable here: the tools still run (``python3 -m crew.tools``)."""


def _crewai():
    try:
        import crewai
        from crewai.tools import tool
    except ImportError as e:
        raise CrewAIUnavailable(
            f"crewai is not installed for {sys.executable} ({e}); run `make deps` and use "
            "examples/crewai/crew/.venv/bin/python, or call the tools directly: python3 -m crew.tools --help"
        ) from e
    return crewai, tool


def build_crew(question: str = "Which open orders are there, and is the research crew's pod running?"):
    crewai, tool = _crewai()

    @tool("query_orders")
    def query_orders(status: str | None = None, limit: int = 10) -> str:
        """Orders with customer name, e-mail and card number (masked for analysts), as JSON. status: open, shipped or cancelled."""
        return tools.query_orders(status, limit)

    @tool("run_sql")
    def run_sql(statement: str) -> str:
        """Run one SQL statement on the shop database (customers, orders). Writes wait for a DBA; drops are refused."""
        return tools.run_sql(statement)

    @tool("list_pods")
    def list_pods(namespace: str = "agents") -> str:
        """The pods of a Kubernetes namespace with phase, node and readiness, as JSON."""
        return tools.list_pods(namespace)

    llm = os.environ.get("CREWGATE_LLM", "gpt-4o-mini")
    analyst = crewai.Agent(
        role="Order analyst",
        goal="Answer questions about the shop's orders from the database, never guessing figures",
        backstory="You read the shop database through tools; personal data arrives masked and stays so.",
        tools=[query_orders, run_sql],
        llm=llm,
        allow_delegation=False,
    )
    sre = crewai.Agent(
        role="Site reliability engineer",
        goal="Report the state of the crew's own pods",
        backstory="You look at Kubernetes with kubectl through tools and change nothing.",
        tools=[list_pods],
        llm=llm,
        allow_delegation=False,
    )
    tasks = [
        crewai.Task(
            description=f"{question} Use the database for the orders.",
            expected_output="A short list of open orders with amounts.",
            agent=analyst,
        ),
        crewai.Task(
            description="List the pods in the agents namespace and say whether research-crew-0 is running.",
            expected_output="One line per pod with its phase.",
            agent=sre,
        ),
    ]
    return crewai.Crew(agents=[analyst, sre], tasks=tasks, process=crewai.Process.sequential)
