"""Running the course on one shared server: JupyterHub, nbgrader's exchange, learners as system users.

    make hub                      # 127.0.0.1:8000, native accounts
    make hub HUB_FLAGS=--lan      # open to the local network

settings.py   what a hub is made of (one JSON file in the hub's state folder)
system.py     the system side, run as root: groups, the facilitator's login, the exchange folders
exchange.py   nbgrader's exchange with permissions that keep learners out of each other's work
spawner.py    the local spawner, with each learner's memory and CPU capped by a cgroup
auth.py       native accounts or LTI 1.3, both creating a system user per learner
hub_config.py the JupyterHub configuration itself (the generated jupyterhub_config.py calls it)
launch.py     `python -m toolkit_course.hub.launch`: prepare all of the above and start the hub
"""
