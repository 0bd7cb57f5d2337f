"""Writes the tutorial notebooks in examples/ (without outputs). Edit here, then run:

.venv/bin/python tests/notebooks/make_notebooks.py
"""

from __future__ import annotations

import os
import sys

import nbformat

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nb05  # noqa: E402

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples")


def md(text: str):
    return nbformat.v4.new_markdown_cell(text.strip())


def code(text: str):
    return nbformat.v4.new_code_cell(text.strip("\n"))


INDEX_JS = """\
// A tiny web server: the message is the line the tutorial changes to show the cache at work.
const http = require("http");
const ms = require("ms");

const MESSAGE = "{message}";
const started = Date.now();

const server = http.createServer((req, res) => {{
  res.end(`${{MESSAGE}} (up ${{ms(Date.now() - started)}})\\n`);
}});

if (process.argv.includes("--once")) {{
  // For notebooks: print the page once instead of serving forever.
  console.log(`${{MESSAGE}} (ms says one hour is ${{ms("1h")}} ms)`);
}} else {{
  server.listen(process.env.PORT || 3000, () => console.log("listening"));
}}
"""

SETUP = code("%load_ext docker_magics")

NB01 = [
    md("""
# 1. Images and layers

An **image** is a stack of **layers**. Each instruction of a Dockerfile makes one layer on top of
the layers before it. When you build again, every step whose inputs did not change is taken from
the **build cache** (it says `CACHED`) instead of running again.

In this lesson you build a tiny Node.js web app, change it, and watch which steps are reused and
why. Everything runs inside this notebook: there is no Docker daemon behind it.

Run the cells from top to bottom (Shift+Enter). The first cell loads the magics
`%%dockerfile` and `%container`.
"""),
    SETUP,
    md("""
## The app

The folder `app/` holds two files: `package.json` lists the library the app needs (`ms`, which
turns `"1h"` into milliseconds), and `index.js` prints a message.
"""),
    code("!cat app/package.json app/index.js"),
    md("""
## The base image

Our image starts from `node:20`, an image with Node.js already installed. We download it once
with `pull` (like `docker pull`).
"""),
    code("%container pull node:20"),
    md("""
## The first build

A cell starting with `%%dockerfile` is a Dockerfile. `-t hello-app` names the image and `app` is
the **build context**: the folder whose files `COPY` can see.

- `WORKDIR` sets the folder the next steps work in,
- `COPY . /usr/src/` copies the whole app into the image,
- `RUN npm install` downloads the `ms` library,
- `CMD` says what a container of this image runs by default.
"""),
    code("""
%%dockerfile -t hello-app app
FROM node:20
WORKDIR /usr/src
COPY . /usr/src/
RUN npm install
CMD ["node", "index.js", "--once"]
"""),
    md("Run a container from the image. `--rm` removes the container when it stops."),
    code("%container run --rm hello-app"),
    md("""
## Build again: everything is cached

Nothing changed, so every step is `CACHED` and the build takes a moment. Below the build, the
**cache view** compares it with the previous build of `hello-app`, step by step.
"""),
    code("""
%%dockerfile -t hello-app app
FROM node:20
WORKDIR /usr/src
COPY . /usr/src/
RUN npm install
CMD ["node", "index.js", "--once"]
"""),
    md("""
## Change the base image: everything rebuilds

Each layer is built **on top of** the layer below it, so a step's cache key includes its parent.
Switch to `node:20-slim`, a smaller image of the same Node.js, and no step can be reused: the
cache view says the base changed and every step after it follows.
"""),
    code("%container pull node:20-slim"),
    code("""
%%dockerfile -t hello-app app
FROM node:20-slim
WORKDIR /usr/src
COPY . /usr/src/
RUN npm install
CMD ["node", "index.js", "--once"]
"""),
    md("""
## Change the app's message

Now change one line of `index.js` (the cell below rewrites the file) and build again.
"""),
    code("%%writefile app/index.js\n" + INDEX_JS.format(message="Hello again, layers!")),
    code("""
%%dockerfile -t hello-app app
FROM node:20-slim
WORKDIR /usr/src
COPY . /usr/src/
RUN npm install
CMD ["node", "index.js", "--once"]
"""),
    md("""
`COPY . /usr/src/` copies **every** file, so its cache key includes the content of `index.js`.
The file changed, so `COPY` ran again, and `RUN npm install` ran again too, only because the
layer below it changed, even though `package.json` is the same. The cache view shows this
chain: one miss at `COPY` makes every later step miss.

## Copy `package.json` first

The fix is to copy only what `npm install` needs, install, and copy the rest afterwards. This
first build with the new order runs the steps once more.
"""),
    code("""
%%dockerfile -t hello-app app
FROM node:20-slim
WORKDIR /usr/src
COPY package.json /usr/src/
RUN npm install
COPY . /usr/src/
CMD ["node", "index.js", "--once"]
"""),
    md("Change the message again and rebuild:"),
    code("%%writefile app/index.js\n" + INDEX_JS.format(message="Layers are reused!")),
    code("""
%%dockerfile -t hello-app app
FROM node:20-slim
WORKDIR /usr/src
COPY package.json /usr/src/
RUN npm install
COPY . /usr/src/
CMD ["node", "index.js", "--once"]
"""),
    md("""
This time `RUN npm install` is `CACHED`: its inputs (the base, `package.json`) are unchanged.
Only the last `COPY` ran. The new message is in the image:
"""),
    code("%container run --rm hello-app"),
    md("""
## All builds in one picture

`%container graph` draws every image in the store. Each box is a layer; images that share a
layer share the box. You can see the `node:20` and `node:20-slim` bases, the layers every build
added, and which of them the last `hello-app` reuses.
"""),
    code("%container graph"),
    md("""
**What to remember**

- Each Dockerfile step is a layer; a step is reused only if its inputs *and* the layer below it
  are unchanged.
- Put what changes rarely (the base, `package.json`, `npm install`) before what changes often
  (your code).

Next: `02-containers-and-commits.ipynb`.
"""),
]

NB02 = [
    md("""
# 2. Containers and commits

A **container** is a running (or stopped) copy of an image with a writable layer on top. What a
container changes stays in that layer; `commit` turns it into a new image layer. This is how
images were made before Dockerfiles, and it is still what every `RUN` step does for you.
"""),
    SETUP,
    code("%container pull node:20"),
    md("""
## Install something inside a container

Start a container named `base-container` from `node:20` and install the `ms` library into
`/app` with npm (then delete npm's download cache, which we do not want to keep). The
container stops when the command ends, but it is kept (no `--rm`).
"""),
    code(
        "%container run --name base-container -w /app node:20 "
        "sh -c 'npm init -y >/dev/null && npm install ms && rm -rf /root/.npm'"
    ),
    md("`diff` lists what the container changed: `A` added, `C` changed, `D` deleted."),
    code("%container diff base-container"),
    md("""
## Commit the container to an image

`commit` saves the container's changes as one new layer on top of `node:20`, and `-m` records
why. `history` lists the layers of the new image `node-base`, newest first.
"""),
    code("%container commit -m 'Install the ms library' base-container node-base"),
    code("%container history node-base"),
    code(
        "%container run --rm node-base "
        """node -e 'console.log(require("/app/node_modules/ms")("2 days"))'"""
    ),
    md("""
## Write an app in a second container

`%%container run ...` runs the cell's body as a shell script in a new container. Here it writes
`/app/app.js` into a container of `node-base`.
"""),
    code("""
%%container run --name app-container node-base
cat > /app/app.js <<'EOF'
const ms = require("/app/node_modules/ms");
console.log("Hello from a committed image! Two days are " + ms("2d") + " ms.");
EOF
echo written
"""),
    code("%container diff app-container"),
    md("""
Commit it with a default command, so that running the image needs no command. `-c` takes a
Dockerfile instruction, here `CMD`.
"""),
    code("""%container commit -c 'CMD ["node", "/app/app.js"]' app-container hello-node"""),
    code("%container run --rm hello-node"),
    md("## Clean up\n\n`rm -f` removes containers (stopping them first if they run)."),
    code("%container rm -f base-container app-container"),
    code("%container ps -a"),
    md("""
## The picture

Both commits sit on the `node:20` base: `node-base` adds one layer, and `hello-node` adds one
more on top of it. The images share the layers below.
"""),
    code("%container graph node:20 node-base hello-node"),
    md("Next: `03-whats-in-a-layer.ipynb`."),
]

BIG = "head -c 20000000 /dev/urandom > /big.bin"
NB03 = [
    md("""
# 3. What is in a layer?

A layer records the files a step **added, changed or deleted**. Deleting a file in a later
layer hides it, but the earlier layer still holds it: the image does not get smaller. This
lesson shows that wasted space and two ways to avoid it.

We use `busybox`, a tiny image (about 2 MB), so builds are quick.
"""),
    SETUP,
    code("%container pull busybox"),
    md("""
## A wasteful image

The first step downloads (here: makes) a 20 MB file, the second uses it, the third deletes it.
"""),
    code(f"""
%%dockerfile -t wasteful -
FROM busybox
RUN {BIG}
RUN md5sum /big.bin > /big.md5
RUN rm /big.bin
"""),
    md("""
The **layer explorer** lists each layer with its size and the files it touches. The 20 MB layer
is still there, and the last layer only adds a *whiteout*, a marker that hides `/big.bin`. The
explorer counts that as wasted space.
"""),
    code("%container layers wasteful"),
    code("%container history wasteful"),
    md("""
## Fix 1: one `RUN`

Make, use and delete the file in the same step: the layer only keeps what is left at the end.
"""),
    code(f"""
%%dockerfile -t one-run -
FROM busybox
RUN {BIG} && md5sum /big.bin > /big.md5 && rm /big.bin
"""),
    code("%container layers one-run"),
    md("""
## Fix 2: a multi-stage build

The first stage (`work`) may be as messy as it likes; the final image starts again from
`busybox` and copies only the result with `COPY --from=work`.
"""),
    code(f"""
%%dockerfile -t multi-stage -
FROM busybox AS work
RUN {BIG}
RUN md5sum /big.bin > /big.md5

FROM busybox
COPY --from=work /big.md5 /big.md5
"""),
    code("%container layers multi-stage"),
    md("## Sizes before and after\n\nCompare the `SIZE` column: `wasteful` carries the 20 MB."),
    code("%container images"),
    code("%container graph busybox wasteful one-run multi-stage"),
    md("Next: `04-cache-deep-dive.ipynb`."),
]

NB04 = [
    md("""
# 4. The build cache, in depth

A step is reused when its **cache key** is the same as in an earlier build. This lesson changes
one thing at a time and uses the cache view under each build to see what is in a key and what
is not. The base is the tiny `busybox` image; the last part uses Node.
"""),
    SETUP,
    code("%container pull busybox"),
    code("""
import os

os.makedirs("ctx", exist_ok=True)
with open("ctx/hello.txt", "w") as f:
    f.write("hello\\n")
with open("ctx/notes.log", "w") as f:
    f.write("first note\\n")
"""),
    md("""
## ENV is in the key

`ENV` changes the environment of every later `RUN`, so the `RUN` after it misses when the value
changes.
"""),
    code("""
%%dockerfile -t cache-env -
FROM busybox
ENV GREETING=hello
RUN echo "$GREETING" > /greeting
"""),
    code("""
%%dockerfile -t cache-env -
FROM busybox
ENV GREETING=bonjour
RUN echo "$GREETING" > /greeting
"""),
    md("""
## ARG is in the key when a step uses it

A build argument is set from outside with `--build-arg`. A `RUN` after the `ARG` sees it as an
environment variable, so a new value means a miss.
"""),
    code("""
%%dockerfile -t cache-arg --build-arg VERSION=1 -
FROM busybox
ARG VERSION
RUN echo "version $VERSION" > /version
"""),
    code("""
%%dockerfile -t cache-arg --build-arg VERSION=2 -
FROM busybox
ARG VERSION
RUN echo "version $VERSION" > /version
"""),
    md("""
## File content is in the key, file times are not

`COPY` keys on the content (and permissions) of the files it copies. `touch` only changes the
modification time: the copy stays cached. Changing the content is a miss.
"""),
    code("""
%%dockerfile -t cache-files ctx
FROM busybox
COPY hello.txt /hello.txt
RUN wc -c /hello.txt
"""),
    code("!touch ctx/hello.txt"),
    code("""
%%dockerfile -t cache-files ctx
FROM busybox
COPY hello.txt /hello.txt
RUN wc -c /hello.txt
"""),
    code("!echo 'hello, world' > ctx/hello.txt"),
    code("""
%%dockerfile -t cache-files ctx
FROM busybox
COPY hello.txt /hello.txt
RUN wc -c /hello.txt
"""),
    md("""
## `.dockerignore` keeps files out of the context

`COPY . /ctx/` copies the whole folder, so any change in it is a miss. List `notes.log` in
`.dockerignore` and it leaves the context: the next build misses once (the file is gone from
the copy, the cache view says so), and after that, changes to `notes.log` do not matter.
"""),
    code("""
%%dockerfile -t cache-ignore ctx
FROM busybox
COPY . /ctx/
RUN ls /ctx
"""),
    code("""
with open("ctx/.dockerignore", "w") as f:
    f.write("*.log\\n.dockerignore\\n")
"""),
    code("""
%%dockerfile -t cache-ignore ctx
FROM busybox
COPY . /ctx/
RUN ls /ctx
"""),
    code("!echo 'second note' >> ctx/notes.log"),
    code("""
%%dockerfile -t cache-ignore ctx
FROM busybox
COPY . /ctx/
RUN ls /ctx
"""),
    md("""
## `--no-cache-filter`: rebuild one stage on purpose

`--no-cache` rebuilds everything. `--no-cache-filter STAGE` rebuilds only the named stage (and
what depends on it), for example to fetch fresh data while keeping the rest cached.
"""),
    code("""
%%dockerfile -t cache-stages -
FROM busybox AS tools
RUN echo "tools" > /tools.txt

FROM busybox AS data
RUN date > /fetched-at.txt

FROM busybox
COPY --from=tools /tools.txt /
COPY --from=data /fetched-at.txt /
"""),
    code("""
%%dockerfile -t cache-stages --no-cache-filter data -
FROM busybox AS tools
RUN echo "tools" > /tools.txt

FROM busybox AS data
RUN date > /fetched-at.txt

FROM busybox
COPY --from=tools /tools.txt /
COPY --from=data /fetched-at.txt /
"""),
    md("""
## Cache mounts: a cache that survives a miss

When `npm install` has to run again, it normally downloads everything again. A **cache mount**
keeps a folder (here npm's download cache `/root/.npm`) between builds. It is not part of the
image and not part of the key: the step still misses, but it runs faster. We force the miss
with `--no-cache`.
"""),
    code("%container pull node:20-slim"),
    code("""
%%dockerfile -t cache-mount app
FROM node:20-slim
WORKDIR /usr/src
COPY package.json ./
RUN --mount=type=cache,target=/root/.npm npm install --prefer-offline && ls /root/.npm
"""),
    code("""
%%dockerfile -t cache-mount --no-cache app
FROM node:20-slim
WORKDIR /usr/src
COPY package.json ./
RUN --mount=type=cache,target=/root/.npm npm install --prefer-offline && ls /root/.npm
"""),
    md("""
**What to remember**: a key holds the parent layer, the instruction, its environment (ENV, used
ARGs) and the *content* of copied files; not file times, not ignored files, not the contents of
cache mounts.
"""),
    code("%container graph"),
]

NOTEBOOKS = {
    "01-images-and-layers.ipynb": NB01,
    "02-containers-and-commits.ipynb": NB02,
    "03-whats-in-a-layer.ipynb": NB03,
    "04-cache-deep-dive.ipynb": NB04,
    "05-web-apps-and-compose.ipynb": nb05.cells(md, code, SETUP),
}


def build(cells) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [nbformat.from_dict(dict(c)) for c in cells]
    for i, c in enumerate(nb.cells):
        c["id"] = f"c{i:02d}"
    return nb


def main(out_dir: str = EXAMPLES) -> list[str]:
    written = []
    for name, cells in NOTEBOOKS.items():
        path = os.path.join(out_dir, name)
        nbformat.validate(build(cells))
        nbformat.write(build(cells), path)
        written.append(path)
    return written


if __name__ == "__main__":
    for p in main(*sys.argv[1:]):
        print(p)
