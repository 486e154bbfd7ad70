// node-smpp as the ESME, smsc-sim as the SMSC: bind (and a refused bind), enquire_link, GSM-7,
// UCS-2 and 3-part submits (listed decoded by GET /messages), receipts (text + TLVs), MO through
// POST /mo (long: concatenated), unbind.
// Usage: node node_esme_vs_smsc_sim.js PATH/TO/smsc-sim
'use strict';
const smpp = require('smpp');
const { check, finish, limit, start, lines, request, waitFor } = require('./lib');

limit(30000);
const simPath = process.argv[2];
const sim = start(simPath, ['--smpp', '127.0.0.1:0', '--http', '127.0.0.1:0',
  '--system-id', 'node', '--password', 'pw', '--dlr-delay-ms', '50']);

const call = (session, cmd, args) => new Promise((resolve) => session[cmd](args, resolve));

lines(sim, async (line) => {
  const m = /^smsc-sim smpp=([\d.]+):(\d+) http=([\d.:]+)$/.exec(line);
  if (!m) return;
  const port = Number(m[2]);
  const base = `http://${m[3]}`;
  try {
    await run(port, base);
  } catch (e) {
    check(false, `exception: ${e.stack}`);
  }
  sim.kill('SIGTERM');
  finish();
});

async function run(port, base) {
  // A wrong password is refused with ESME_RINVPASWD.
  const bad = smpp.connect({ host: '127.0.0.1', port });
  bad.on('error', () => {});
  const badResp = await call(bad, 'bind_transceiver', { system_id: 'node', password: 'nope' });
  check(badResp.command_status === smpp.ESME_RINVPASWD, `wrong password refused (status ${badResp.command_status})`);
  bad.destroy();

  const s = smpp.connect({ host: '127.0.0.1', port });
  s.on('error', (e) => check(false, `session error ${e}`));
  const receipts = [];
  const mo = [];
  s.on('deliver_sm', (pdu) => {
    if (pdu.esm_class & 0x04) receipts.push(pdu);
    else mo.push(pdu);
    s.send(pdu.response());
  });
  const bind = await call(s, 'bind_transceiver', { system_id: 'node', password: 'pw' });
  check(bind.command_status === 0 && bind.system_id === 'smsc-sim', 'bind_transceiver accepted');
  const el = await call(s, 'enquire_link', {});
  check(el.command_status === 0 && el.command === 'enquire_link_resp', 'enquire_link answered');

  const to = '14155550177';
  const gsm = await call(s, 'submit_sm', { source_addr: '12345', destination_addr: to,
    data_coding: 0, short_message: 'Hi @£ {€} there', registered_delivery: 1 });
  check(gsm.command_status === 0 && gsm.message_id.length > 0, `GSM-7 submit accepted (id ${gsm.message_id})`);
  const ucs = await call(s, 'submit_sm', { source_addr: '12345', destination_addr: to,
    data_coding: 8, short_message: 'Привет ☃', registered_delivery: 1 });
  check(ucs.command_status === 0, 'UCS-2 submit accepted');
  const partsText = ['A'.repeat(153), 'B'.repeat(153), 'C'.repeat(20)];
  const partIds = [];
  for (let i = 0; i < 3; i++) {
    const r = await call(s, 'submit_sm', { source_addr: '12345', destination_addr: to, data_coding: 0,
      short_message: { udh: Buffer.from([5, 0, 3, 0x7a, 3, i + 1]), message: partsText[i] } });
    check(r.command_status === 0, `part ${i + 1}/3 accepted`);
    partIds.push(r.message_id);
  }

  const list = await request('GET', `${base}/messages?to=%2B${to}&limit=10`);
  check(list.status === 200 && list.body.count === 3, `GET /messages lists 3 messages (got ${list.body.count})`);
  const [three, two, one] = list.body.messages;
  check(one && one.text === 'Hi @£ {€} there' && one.data_coding === 0 && one.message_id === gsm.message_id,
    `GSM-7 listed decoded: ${JSON.stringify(one && one.text)}`);
  check(two && two.text === 'Привет ☃' && two.data_coding === 8, `UCS-2 listed decoded: ${JSON.stringify(two && two.text)}`);
  check(three && three.segments === 3 && three.text === partsText.join('') &&
    JSON.stringify(three.message_ids) === JSON.stringify(partIds), '3-part message listed as one, reassembled');

  check(await waitFor(() => receipts.length === 2, 3000), `2 receipts received (got ${receipts.length})`);
  for (const r of receipts) {
    const text = r.short_message.message.toString();
    const id = r.receipted_message_id;
    check([gsm.message_id, ucs.message_id].includes(id) && text.includes(`id:${id}`) &&
      text.includes('stat:DELIVRD') && r.message_state === 2, `receipt for ${id}: TLVs and text agree`);
  }

  const long = 'Reply ' + 'x'.repeat(200);
  const moResp = await request('POST', `${base}/mo`, { from: '+14155550123', to: '12345', text: long, encoding: 'gsm7' });
  check(moResp.status === 200 && moResp.body.parts === 2, `POST /mo split into 2 parts (${JSON.stringify(moResp.body)})`);
  const uResp = await request('POST', `${base}/mo`, { from: '+14155550123', to: '12345', text: 'STOP ☃', encoding: 'ucs2' });
  check(uResp.status === 200 && uResp.body.parts === 1, 'POST /mo UCS-2 single part');
  check(await waitFor(() => mo.length === 3, 3000), `3 MO deliver_sm received (got ${mo.length})`);
  const parts = mo.filter((p) => p.short_message.udh);
  parts.sort((a, b) => a.short_message.udh[0][4] - b.short_message.udh[0][4]);
  check(parts.length === 2 && parts.map((p) => p.short_message.message).join('') === long &&
    parts[0].source_addr === '14155550123' && parts[0].source_addr_ton === 1, 'long MO reassembles (UDH 8-bit)');
  const u = mo.find((p) => !p.short_message.udh);
  check(u && u.data_coding === 8 && u.short_message.message === 'STOP ☃', 'UCS-2 MO decoded by node-smpp');

  const stats = await request('GET', `${base}/stats`);
  check(stats.body.binds === 1 && stats.body.bind_failures === 1 && stats.body.submit_sm === 5 &&
    stats.body.receipts === 2 && stats.body.mo === 2 && stats.body.deliver_sm === 5,
    `GET /stats counters: ${JSON.stringify(stats.body)}`);

  const ub = await call(s, 'unbind', {});
  check(ub.command_status === 0 && ub.command === 'unbind_resp', 'unbind answered');
  s.destroy();
}
