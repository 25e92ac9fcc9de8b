"""The registry of commands: name -> module. The order is the order of `--help`."""

COMMANDS = {
    name: f"shipline.commands.{name.replace('-', '_')}"
    for name in (
        "init",
        "generate",
        "check",
        "plan",
        "schema",
        "build",
        "test",
        "scan",
        "loadtest",
        "smoke",
        "deploy",
        "rollback",
        "status",
        "abort",
        "promote",
        "releases",
        "stop",
        "router",
        "doctor",
        "act",
        "dora",
        "incident",
        "pr-comment",
        "monitor",
    )
}
