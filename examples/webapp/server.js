// The walk-through's docker-testing app, with Redis in place of MongoDB: a web server on port
// 3000 that counts its visitors in a database it finds by the host name `db`.
const http = require("http");
const net = require("net");

const DB = new URL(process.env.REDIS_URL || "redis://db:6379");

// One Redis command over a fresh connection, in Redis's own wire format: no library needed.
function redis(...args) {
  const request =
    `*${args.length}\r\n` +
    args.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join("");
  return new Promise((resolve, reject) => {
    const sock = net.createConnection(Number(DB.port || 6379), DB.hostname);
    let reply = "";
    sock.setTimeout(2000, () => sock.destroy(new Error("no answer")));
    sock.on("connect", () => sock.write(request));
    sock.on("data", (data) => {
      reply += data;
      if (reply.endsWith("\r\n")) {
        sock.end();
        resolve(reply.slice(1).trim());
      }
    });
    sock.on("error", reject);
  });
}

http
  .createServer(async (req, res) => {
    if (req.url !== "/") {
      res.writeHead(404);
      return res.end();
    }
    res.setHeader("Content-Type", "text/html; charset=utf-8");
    let line;
    try {
      const visits = await redis("INCR", "visits");
      const times = visits === "1" ? "1 time" : `${visits} times`;
      line = `This page was seen ${times} (counted by the database at ${DB.host}).`;
    } catch (err) {
      line = `No database at ${DB.host} yet (${err.message}).`;
    }
    res.end(`<h1>Hello from docker-testing!</h1>\n<p>${line}</p>\n`);
  })
  .listen(3000, () => console.log("listening on port 3000"));
