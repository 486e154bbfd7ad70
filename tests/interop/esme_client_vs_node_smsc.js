// node-smpp as the SMSC, smsgw's carrier link (through smpp-link-probe) as the ESME:
// bind, GSM-7 (extension table), UCS-2 and a 3-part message, receipts, MO, enquire_link, unbind.
// Usage: node esme_client_vs_node_smsc.js PATH/TO/smpp-link-probe
'use strict';
const smpp = require('smpp');
const { check, finish, limit, start, lines } = require('./lib');

limit(30000);
const probePath = process.argv[2];
const seen = { binds: [], submits: [], enquire: 0, unbind: 0, deliverResp: [] };
let nextId = 1;

const server = smpp.createServer((session) => {
  session.on('error', () => {});
  session.on('bind_transceiver', (pdu) => {
    seen.binds.push({ system_id: pdu.system_id, password: pdu.password });
    const ok = pdu.system_id === 'smsgw' && pdu.password === 'secret';
    session.send(pdu.response({ command_status: ok ? 0 : smpp.ESME_RINVPASWD, system_id: 'node-smsc' }));
    if (!ok) return;
    // Two MO messages once bound: a GSM-7 STOP and a UCS-2 reply.
    setTimeout(() => {
      for (const [text, dc] of [['STOP', 0], ['Спасибо ☃', 8]]) {
        session.deliver_sm({
          source_addr_ton: 1, source_addr_npi: 1, source_addr: '14155550123',
          destination_addr: '12345', data_coding: dc, short_message: text,
        }, (resp) => seen.deliverResp.push(resp.command_status));
      }
    }, 50);
  });
  session.on('submit_sm', (pdu) => {
    const id = `node-${nextId++}`;
    const sm = pdu.short_message || {};
    seen.submits.push({ id, data_coding: pdu.data_coding, esm_class: pdu.esm_class,
      udh: sm.udh ? sm.udh.map((b) => Array.from(b)) : null, text: sm.message });
    session.send(pdu.response({ message_id: id }));
    if (pdu.registered_delivery & 1) {
      setTimeout(() => {
        session.deliver_sm({
          source_addr: pdu.destination_addr, destination_addr: pdu.source_addr, esm_class: 4,
          short_message: `id:${id} sub:001 dlvrd:001 submit date:2611291200 done date:2611291201 stat:DELIVRD err:000 text:`,
          receipted_message_id: id, message_state: 2,
        }, (resp) => seen.deliverResp.push(resp.command_status));
      }, 20);
    }
  });
  session.on('enquire_link', (pdu) => {
    seen.enquire++;
    session.send(pdu.response());
  });
  session.on('unbind', (pdu) => {
    seen.unbind++;
    session.send(pdu.response());
    session.close();
  });
});

server.listen(0, '127.0.0.1', () => {
  const port = server.address().port;
  const events = [];
  const probe = start(probePath, ['--port', String(port), '--expect-inbound', '7', '--enquire-ms', '200']);
  lines(probe, (l) => {
    try { events.push(JSON.parse(l)); } catch (e) { console.log(`probe: ${l}`); }
  });
  probe.on('exit', (code) => {
    check(code === 0, `probe exited 0 (got ${code})`);
    check(seen.binds.length === 1 && seen.binds[0].system_id === 'smsgw', 'one bind_transceiver with our system_id');
    check(seen.submits.length === 5, `5 submit_sm received (got ${seen.submits.length})`);
    const s = seen.submits;
    if (s.length === 5) {
      check(s[0].data_coding === 0 && s[0].text === 'GSM-7 @£$ {curly} [sq] ~ € end',
        `GSM-7 with extension table decoded by node-smpp: ${JSON.stringify(s[0].text)}`);
      check(s[1].data_coding === 8 && s[1].text === 'UCS-2 Привет ☃',
        `UCS-2 decoded by node-smpp: ${JSON.stringify(s[1].text)}`);
      const parts = s.slice(2);
      const udhOk = parts.every((p, i) => p.udh && p.udh.length === 1 && p.udh[0][0] === 0 &&
        p.udh[0][1] === 3 && p.udh[0][3] === 3 && p.udh[0][4] === i + 1 && (p.esm_class & 0x40));
      check(udhOk, 'three parts carry 8-bit concatenation UDH 1/3, 2/3, 3/3 with UDHI');
      const joined = parts.map((p) => p.text).join('');
      check(joined === 'a'.repeat(150) + 'b'.repeat(150) + 'c'.repeat(100), '3-part text reassembles exactly');
    }
    const results = events.filter((e) => e.event === 'result');
    check(results.length === 5 && results.every((r) => r.command_status === 0 && r.message_id.startsWith('node-')),
      'carrier link reports 5 accepted submits with node-smpp message ids');
    const inbound = events.filter((e) => e.event === 'inbound');
    const receipts = inbound.filter((e) => e.receipt);
    check(receipts.length === 5 && receipts.every((r) => r.receipt.ok && r.receipt.stat === 'DELIVRD' &&
      results.some((x) => x.message_id === r.receipt.message_id)), '5 receipts parsed and matched to submit ids');
    const mo = inbound.filter((e) => !e.receipt);
    check(mo.some((m) => m.text === 'STOP' && m.from === '14155550123'), 'GSM-7 MO "STOP" decoded');
    check(mo.some((m) => m.text === 'Спасибо ☃' && m.data_coding === 8), 'UCS-2 MO decoded');
    check(seen.deliverResp.length === 7 && seen.deliverResp.every((x) => x === 0), 'every deliver_sm answered ESME_ROK');
    check(seen.enquire >= 1, `client sent enquire_link when idle (${seen.enquire})`);
    check(seen.unbind === 1, 'client unbound on shutdown');
    server.close();
    finish();
  });
});
