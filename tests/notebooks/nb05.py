"""Tutorial 05, "Web apps and compose": the walk-through's docker-testing app (examples/webapp/)
seen in the notebook, then with its database by name, then as a compose project."""

from __future__ import annotations

from typing import Any


def cells(md: Any, code: Any, setup: Any) -> list[Any]:
    compose = examples_compose().replace("build: .", "build: webapp")
    return [
        md("""
# 5. Web apps and compose

The walk-through these lessons follow is built around a small web app, *docker-testing*: a
Node.js server on port 3000 that keeps its data in a database it finds by the host name `db`.
Here the database is Redis, and the app counts its visitors in it. The app lives in
`webapp/`: `server.js`, `package.json`, a `Dockerfile` and a `docker-compose.yml`.

You will run the app and see its page from the notebook, connect it to its database by name,
and then start both together with **compose**, keeping the data in a **volume**.
"""),
        setup,
        code("%container pull node:20\n%container pull redis:7"),
        md("""
## Build the app and publish its port

`EXPOSE 3000` says the server listens on port 3000. `-p 3000:3000` **publishes** it: the
notebook's machine forwards its port 3000 to the container's. After `run -d`, the notebook
shows a link to the published port; `%container curl web` fetches the page and shows it here.
"""),
        code("""
%%dockerfile -t webapp webapp
FROM node:20
WORKDIR /usr/src/app
COPY package.json server.js ./
EXPOSE 3000
CMD ["node", "server.js"]
"""),
        code("%container run -d --name web -p 3000:3000 webapp"),
        code("%container curl web"),
        md("""
The page answers, but there is no database yet: nothing is called `db`.

## Containers that find each other by name

Containers on one **network** reach each other by their names. Create a network `shop`, start
Redis on it with the name `db`, and start the app on it too (`port` lists what is published).
"""),
        code("""
%%container
rm -f web
network create shop
run -d --network shop --name db redis:7
run -d --network shop --name web -p 3000:3000 webapp
port web
"""),
        code("%container curl web"),
        code("%container curl web"),
        md("""
Each visit adds one. Clean up before the next part: the containers, then the network.
"""),
        code("%%container\nrm -f web db\nnetwork rm shop"),
        md("""
## Both together with compose

A **compose file** describes the whole app: the `app` service is built from `webapp/`, the
`db` service runs `redis:7` and keeps its data in the **volume** `dbdata`; `depends_on` waits
until the database answers its `healthcheck`. `%%compose` reads the cell as the compose file
and runs `up -d`: a network for the project, the volume, then `db`, then `app`.
"""),
        code(f"%%compose -p shop\n{compose}"),
        code("%container curl shop-app-1"),
        md("""
The graph draws the project: the images, and the two containers in a box for their network
`shop_default`, with the published port on `shop-app-1`.
"""),
        code("%container graph webapp redis:7"),
        code("%compose -p shop ps"),
        code("%compose -p shop logs"),
        md("""
## Data that outlives its containers

`down` stops and removes the containers and the network, but keeps the volume. Start the
project again: the count goes on from where it was.
"""),
        code("%compose -p shop down"),
        code(f"%%compose -p shop\n{compose}"),
        code("%container curl shop-app-1"),
        md("`down -v` removes the volume too: the next `up` would start counting from 1."),
        code("%compose -p shop down -v"),
    ]


def examples_compose() -> str:
    import os

    path = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "webapp")
    with open(os.path.join(path, "docker-compose.yml")) as fh:
        lines = fh.read().splitlines()
    return "\n".join(line for line in lines if not line.startswith("#"))
