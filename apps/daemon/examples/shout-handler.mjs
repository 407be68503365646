// A module handler for evergreend: it gets each connection (a StreamConnection
// of @evergreen/stream-core) and its context; the daemon closes the connection
// when the returned promise settles, and a throw costs only this connection.
export default async function shout(conn, { id }) {
  conn.write(`hello ${id}, say something\n`);
  for (let line = await conn.readUntil('\n', { maxBytes: 4096 }); line.length > 0; line = await conn.readUntil('\n', { maxBytes: 4096 })) {
    conn.write(line.toString().toUpperCase());
  }
}
