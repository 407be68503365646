// A module handler for evergreend: it gets each connection (a StreamConnection
// of @evergreen/stream-core) and its context; the daemon closes the connection
// when the returned promise settles, and a throw costs only this connection.
export default async function shout(conn, { id, signal }) {
  // `signal`: the daemon is stopping this server, so stop waiting for the client.
  const options = { maxBytes: 4096, signal };
  conn.write(`hello ${id}, say something\n`);
  for (let line = await conn.readUntil('\n', options); line.length > 0; line = await conn.readUntil('\n', options)) {
    conn.write(line.toString().toUpperCase());
  }
}
