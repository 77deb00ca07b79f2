"""The main job of the README: the monthly release run end to end on this machine, against STAND-INS.

``python -m demo`` (what ``./dev demo`` runs) creates local git repositories, serves stand-ins of Jira,
Jenkins, GitHub and Slack, starts the engine and a skynet pool with every participant, launches
``processes/monthly-release.yaml`` with the calendar waits shortened through its fields, follows it in the
terminal, answers the go/no-go approval, and prints the release notes and the final state.
"""
