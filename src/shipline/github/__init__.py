"""shipline on GitHub: deployments, the pull request summary, DORA metrics, incidents.

Every module takes a connected `client.GitHub` (built from typed `client.Settings`
that commands read from the environment) and returns results; nothing here prints.
"""
