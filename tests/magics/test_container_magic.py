"""`%container` and `%%container` in a real in-process IPython shell against a real store."""

from __future__ import annotations

from IPython.core.error import UsageError

from docker_magics.magics.errors import CellFailed


def magics_instances(ip):
    return [c for c in ip.configurables if type(c).__name__ == "DockerMagics"]


def test_load_reload_and_config(ip, engine):
    ip.run_cell("%reload_ext docker_magics")
    ip.run_cell(f"%config DockerMagics.root = {engine.store.root!r}")
    (magics,) = magics_instances(ip)
    assert magics.engine().store.root == engine.store.root
    cell = ip.cell("%config DockerMagics")
    assert "DockerMagics.runtime" in cell.stdout and "DockerMagics.progress" in cell.stdout
    ip.cell("%config DockerMagics.progress = 'bogus'")
    assert magics.progress == "auto"


def test_help_is_the_cli_parser(ip):
    cell = ip.cell("%container run --help")
    assert cell.error is None
    assert "--name" in cell.stdout and "%container run" in cell.stdout
    assert "usage: %container" in ip.find_line_magic("container").__doc__


def test_parse_error_is_a_plain_usage_error(ip):
    cell = ip.cell("%container frobnicate")
    assert type(cell.error) is UsageError
    message = str(cell.error)
    assert message.startswith("%container: 'frobnicate' is not a %container command. Known: ")
    assert "images" in message
    assert type(ip.cell("%container run").error) is UsageError
    assert type(ip.cell("%container run 'unclosed").error) is UsageError


def test_tables_render_as_html(ip, base_image):
    ip.cell("%container run --name t1 busybox true")
    for line, needle in (
        ("%container images", "busybox"),
        ("%container ps -a", "t1"),
        ("%container history busybox", "busybox rootfs"),
    ):
        cell = ip.cell(line)
        assert cell.error is None, line
        assert "<table" in cell.html() and needle in cell.html(), line
        assert needle in cell.text()
    quiet = ip.cell("%container images -q")
    assert "<table" not in quiet.html() and len(quiet.stdout.split()) == 1


def test_run_streams_output_and_notes_tty(ip, base_image):
    cell = ip.cell("%container run --rm -ti busybox sh -c 'echo out; echo err >&2'")
    assert cell.error is None
    assert cell.stdout == "out\n"
    assert "no terminal is attached" in cell.stderr and "err" in cell.stderr


def test_nonzero_exit_is_a_short_error(ip, base_image):
    cell = ip.cell("%container run --rm busybox sh -c 'echo last words; exit 3'")
    assert isinstance(cell.error, CellFailed)
    assert cell.error._render_traceback_() == ["\x1b[31mrun exited with code 3\x1b[0m"]
    html = cell.html()
    assert "exit code" in html and ">3<" in html and "last words" in html
    ip.run_cell("%config DockerMagics.raise_on_error = False")
    assert ip.cell("%container run --rm busybox false").error is None


def test_library_error_is_short_and_debug_shows_it(ip, base_image):
    cell = ip.cell("%container rmi no-such-image")
    assert isinstance(cell.error, CellFailed)
    assert "no-such-image" in cell.html() and "Traceback" not in cell.stdout + cell.stderr
    ip.run_cell("%config DockerMagics.debug = True")
    cell = ip.cell("%container rmi no-such-image")
    assert type(cell.error).__name__ == "NotFoundError"


def test_cell_of_verbs_like_a_pasted_shell_block(ip, base_image, engine):
    body = (
        "# the tutorial's commands, pasted\n"
        "docker container run --name c1 busybox \\\n"
        "    sh -c 'echo hi > /hi'\n"
        "docker commit -m 'Add hi' c1 hi   # trailing comment\n"
        "docker image ls\n"
    )
    cell = ip.cell("%%container\n" + body)
    assert cell.error is None, cell.stdout
    assert "$ docker container run --name c1 busybox sh -c 'echo hi > /hi'" in cell.stdout
    assert engine.image("hi") and "<table" in cell.html()


def test_cell_of_verbs_stops_at_first_failure(ip, base_image, engine):
    cell = ip.cell("%%container\nrun --rm busybox false\ntag busybox never\n")
    assert isinstance(cell.error, CellFailed)
    assert "never" not in [r.split(":")[0] for i in engine.images() for r in i.refs]
    assert "tag busybox never" not in cell.stdout


def test_cell_script_in_run_and_exec(ip, base_image, engine):
    cell = ip.cell("%%container run --name s1 busybox\necho one\necho two > /two\n")
    assert cell.error is None and cell.stdout == "one\n"
    assert "A /two" in engine.diff("s1")
    assert ip.cell("%container run -d --name live busybox sleep 60").error is None
    try:
        cell = ip.cell("%%container exec live\ncd /tmp\necho state > f\n")
        assert cell.error is None
        cell = ip.cell("%container exec live cat /tmp/f")
        assert cell.stdout == "state\n"
    finally:
        ip.cell("%container rm -f live")


def test_cell_with_other_arguments_is_refused(ip):
    cell = ip.cell("%%container images\nls\n")
    assert type(cell.error) is UsageError


def test_graph_and_layers_views(ip, base_image):
    ip.cell("%container run --name g1 busybox sh -c 'echo x > /x'")
    ip.cell("%container commit g1 withx")
    cell = ip.cell("%container graph")
    assert cell.error is None
    (bundle,) = cell.outputs
    assert bundle["image/svg+xml"].startswith("<svg")
    assert "withx" in bundle["text/plain"] and "<svg" in bundle["text/html"]
    cell = ip.cell("%container layers withx")
    assert cell.error is None
    assert "<details" in cell.html() and "efficiency" in cell.text()
    assert "A /x" in cell.text()
