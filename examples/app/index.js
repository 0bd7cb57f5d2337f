// A tiny web server: the message is the line the tutorial changes to show the cache at work.
const http = require("http");
const ms = require("ms");

const MESSAGE = "Hello from a container!";
const started = Date.now();

const server = http.createServer((req, res) => {
  res.end(`${MESSAGE} (up ${ms(Date.now() - started)})\n`);
});

if (process.argv.includes("--once")) {
  // For notebooks: print the page once instead of serving forever.
  console.log(`${MESSAGE} (ms says one hour is ${ms("1h")} ms)`);
} else {
  server.listen(process.env.PORT || 3000, () => console.log("listening"));
}
