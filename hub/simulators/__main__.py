from hub.simulators.cli import app

app(prog_name="python -m hub.simulators")
