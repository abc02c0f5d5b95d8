"""A small CrewAI crew whose tools use psycopg and kubectl unchanged, through the crewgate sidecar.

`crew.tools` has the tools as plain functions and a CLI (`python3 -m crew.tools query-orders`), so
they run and are tested without crewai or an LLM; `crew.crew` wraps them as CrewAI tools.
"""
