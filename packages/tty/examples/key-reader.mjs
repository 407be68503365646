// A tiny raw-mode key reader: shows the bytes of each key you press, and
// follows the terminal's size. q or Ctrl-C quits; the terminal is restored
// however the program ends. Run it in a terminal: node examples/key-reader.mjs
import { StdinStream, StdoutStream } from '@evergreen/tty';

const stdin = new StdinStream();
const stdout = new StdoutStream();
if (!stdin.isTTY) {
  stdout.write('stdin is not a terminal: run me in one\n');
  process.exit(1);
}

const sizeText = ({ columns, rows }) => `${columns}x${rows}`;
stdin.setRawMode(true);
stdout.write(`terminal ${sizeText(stdout.winsize)} - press keys, q or Ctrl-C quits\n`);

const stopResizes = new AbortController();
const following = (async () => {
  for await (const size of stdout.resizes({ signal: stopResizes.signal })) stdout.write(`resized to ${sizeText(size)}\n`);
})().catch(() => {}); // ends when aborted below

// Each chunk is what one key press sent: 1 byte for a letter, 3 for an arrow (ESC [ A).
for await (const key of stdin) {
  stdout.write(`key ${JSON.stringify(key.toString('latin1'))} = ${key.toString('hex')}\n`);
  if (key[0] === 0x71 /* q */ || key[0] === 0x03 /* Ctrl-C: a plain byte in raw mode */) break;
}
stopResizes.abort();
await following;
stdin.close(); // leaves raw mode
stdout.close();
