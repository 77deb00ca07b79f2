"""Local STAND-INS for the SaaS services boss talks to (Jira, Jenkins, GitHub, Slack). Not the real services.

They exist so that the tests and the demo run on a closed machine: each one follows the documented REST
API of its service (status codes, headers, pagination, error bodies) closely enough that the real client
libraries (``jira``, PyGithub, ``slack-sdk``, ``requests``) work against them unchanged, and keeps its
state in memory. The participants never know: they are pointed at a stand-in by configuration (a URL and
a token), exactly as they are pointed at the real service in production.
"""
