// Test support (imported by tests only): a tiny Sigstore made in memory. A CA that issues
// Fulcio-like certificates (with an SCT from a fake CT log), a fake Rekor v1 log that signs entry
// timestamps and one-leaf checkpoints, and the trusted_root.json naming them. Node cannot issue
// X.509 certificates, so they are written here in DER, field by field.
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { json as canonicalJson } from '@sigstore/core';

// --- DER ---------------------------------------------------------------------------------------
function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const length = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, content]);
}
const seq = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));
const octets = (content: Buffer) => tlv(0x04, content);
const utf8 = (text: string) => tlv(0x0c, Buffer.from(text));
const time = (date: Date) => tlv(0x17, Buffer.from(date.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z'));
function oid(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number);
  const bytes = [40 * first + second];
  for (const arc of rest) {
    const chunk = [arc & 0x7f];
    for (let value = arc >> 7; value > 0; value >>= 7) chunk.unshift((value & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}
const name = (commonName: string) => seq(tlv(0x31, seq(oid('2.5.4.3'), utf8(commonName))));
const extension = (id: string, critical: boolean, value: Buffer) => seq(oid(id), ...(critical ? [tlv(0x01, Buffer.from([0xff]))] : []), octets(value));
const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));

export const spkiDer = (key: KeyObject): Buffer => key.export({ type: 'spki', format: 'der' });
export const pemOf = (der: Buffer, label = 'CERTIFICATE') => `-----BEGIN ${label}-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END ${label}-----\n`;
export const ecKeys = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const keyId = (key: KeyObject) => createHash('sha1').update(spkiDer(key)).digest();

interface CertificateFields {
  readonly subject: string;
  readonly issuer: { readonly name: string; readonly key: KeyObject; readonly publicKey: KeyObject };
  readonly publicKey: KeyObject;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly extensions: Buffer[];
}

function tbs(fields: CertificateFields, extensions: Buffer[]): Buffer {
  return seq(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))),
    tlv(0x02, Buffer.from([0x01, ...createHash('sha256').update(fields.subject).digest().subarray(0, 8)])),
    ECDSA_SHA256,
    name(fields.issuer.name),
    seq(time(fields.notBefore), time(fields.notAfter)),
    name(fields.subject),
    spkiDer(fields.publicKey),
    tlv(0xa3, seq(...extensions)),
  );
}

function signed(toBeSigned: Buffer, key: KeyObject): Buffer {
  return seq(toBeSigned, ECDSA_SHA256, tlv(0x03, Buffer.concat([Buffer.from([0]), sign('sha256', toBeSigned, key)])));
}

export interface TestCa {
  readonly name: string;
  readonly key: KeyObject;
  readonly publicKey: KeyObject;
  readonly der: Buffer;
}

export function makeCa(commonName: string, notBefore = new Date(Date.now() - 86_400_000)): TestCa {
  const { privateKey, publicKey } = ecKeys();
  const self = { name: commonName, key: privateKey, publicKey };
  const extensions = [
    extension('2.5.29.15', true, tlv(0x03, Buffer.from([0x01, 0x06]))),
    extension('2.5.29.19', true, seq(tlv(0x01, Buffer.from([0xff])))),
    extension('2.5.29.14', false, octets(keyId(publicKey))),
  ];
  const fields = { subject: commonName, issuer: self, publicKey, notBefore, notAfter: new Date(notBefore.getTime() + 10 * 365 * 86_400_000), extensions };
  return { ...self, der: signed(tbs(fields, extensions), privateKey) };
}

export interface LeafOptions {
  readonly email: string;
  readonly oidcIssuer: string;
  readonly notBefore: Date;
  /** Fulcio's certificates live ten minutes. */
  readonly minutes?: number;
  /** The CT log that signs the SCT; none: the certificate carries no SCT. */
  readonly ctLog?: { readonly privateKey: KeyObject; readonly publicKey: KeyObject };
  /** The key the certificate is for (cosign sign --key --certificate); default: a fresh one. */
  readonly keyPair?: { readonly privateKey: KeyObject; readonly publicKey: KeyObject };
}

/** A Fulcio-like signing certificate for a fresh key: SAN email, OIDC issuer extension, embedded SCT. */
export function issueLeaf(ca: TestCa, options: LeafOptions): { der: Buffer; pem: string; key: KeyObject } {
  const { privateKey, publicKey } = options.keyPair ?? ecKeys();
  const extensions = [
    extension('2.5.29.15', true, tlv(0x03, Buffer.from([0x07, 0x80]))),
    extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.3'))),
    extension('2.5.29.35', false, seq(tlv(0x80, keyId(ca.publicKey)))),
    extension('2.5.29.17', true, seq(tlv(0x81, Buffer.from(options.email)))),
    extension('1.3.6.1.4.1.57264.1.8', false, utf8(options.oidcIssuer)),
  ];
  const notAfter = new Date(options.notBefore.getTime() + (options.minutes ?? 10) * 60_000);
  const fields = { subject: options.email, issuer: ca, publicKey, notBefore: options.notBefore, notAfter, extensions };
  const preCertificate = tbs(fields, extensions);
  const all = options.ctLog ? [...extensions, extension('1.3.6.1.4.1.11129.2.4.2', false, octets(sctList(options.ctLog, ca, preCertificate, options.notBefore)))] : extensions;
  const der = signed(tbs(fields, all), ca.key);
  return { der, pem: pemOf(der), key: privateKey };
}

/** RFC 6962's SCT list for a precertificate (what @sigstore/core's SCT verify reads back). */
function sctList(log: { privateKey: KeyObject; publicKey: KeyObject }, ca: TestCa, preCertificate: Buffer, at: Date): Buffer {
  const timestamp = Buffer.alloc(8);
  timestamp.writeBigUInt64BE(BigInt(at.getTime()));
  const length = Buffer.from([preCertificate.length >> 16, (preCertificate.length >> 8) & 0xff, preCertificate.length & 0xff]);
  const issuerKeyHash = createHash('sha256').update(spkiDer(ca.publicKey)).digest();
  const signedData = Buffer.concat([Buffer.from([0, 0]), timestamp, Buffer.from([0, 1]), issuerKeyHash, length, preCertificate, Buffer.from([0, 0])]);
  const signature = sign('sha256', signedData, log.privateKey);
  const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
  const logId = createHash('sha256').update(spkiDer(log.publicKey)).digest();
  const sct = Buffer.concat([Buffer.from([0]), logId, timestamp, u16(0), Buffer.from([4, 3]), u16(signature.length), signature]);
  const entry = Buffer.concat([u16(sct.length), sct]);
  return Buffer.concat([u16(entry.length), entry]);
}

// --- A fake Rekor v1 ------------------------------------------------------------------------------
export interface TestLog {
  readonly key: KeyObject;
  readonly publicKey: KeyObject;
  readonly logId: Buffer;
  readonly origin: string;
}

export function makeLog(origin = 'rekor.test'): TestLog {
  const { privateKey, publicKey } = ecKeys();
  return { key: privateKey, publicKey, logId: createHash('sha256').update(spkiDer(publicKey)).digest(), origin };
}

export interface LoggedEntry {
  readonly body: string;
  readonly integratedTime: number;
  readonly logIndex: number;
  readonly logID: string;
  readonly set: string;
}

/** An entry for `body` (a Rekor entry object) with its signed entry timestamp, by `signer` (default: the log). */
export function logEntryFor(log: TestLog, body: object, options: { time: Date; index?: number; signer?: KeyObject }): LoggedEntry {
  const payload = {
    body: Buffer.from(JSON.stringify(body)).toString('base64'),
    integratedTime: Math.floor(options.time.getTime() / 1000),
    logIndex: options.index ?? 0,
    logID: log.logId.toString('hex'),
  };
  const set = sign('sha256', Buffer.from(canonicalJson.canonicalize(payload)), options.signer ?? log.key).toString('base64');
  return { ...payload, set };
}

/** cosign's `dev.sigstore.cosign/bundle` annotation for an entry. */
export function cosignBundleAnnotation(entry: LoggedEntry): string {
  const { body, integratedTime, logIndex, logID } = entry;
  return JSON.stringify({ SignedEntryTimestamp: entry.set, Payload: { body, integratedTime, logIndex, logID } });
}

/** The entry as a v0.3 bundle carries it: with the inclusion proof of a one-leaf tree and its signed checkpoint. */
export function bundleTlogEntry(log: TestLog, entry: LoggedEntry, kind: string): object {
  const leaf = createHash('sha256').update(Buffer.from([0])).update(Buffer.from(entry.body, 'base64')).digest();
  const note = `${log.origin} - 1234\n1\n${leaf.toString('base64')}\n`;
  const signature = Buffer.concat([log.logId.subarray(0, 4), sign('sha256', Buffer.from(note), log.key)]);
  return {
    logIndex: String(entry.logIndex),
    logId: { keyId: log.logId.toString('base64') },
    kindVersion: { kind, version: '0.0.1' },
    integratedTime: String(entry.integratedTime),
    inclusionPromise: { signedEntryTimestamp: entry.set },
    inclusionProof: { logIndex: '0', rootHash: leaf.toString('base64'), treeSize: '1', hashes: [], checkpoint: { envelope: `${note}\n\u2014 ${log.origin} ${signature.toString('base64')}\n` } },
    canonicalizedBody: entry.body,
  };
}

// --- The trusted root -----------------------------------------------------------------------------
const since = { start: '2000-01-01T00:00:00Z' };
const logInstance = (url: string, publicKey: KeyObject) => ({
  baseUrl: url,
  hashAlgorithm: 'SHA2_256',
  publicKey: { rawBytes: spkiDer(publicKey).toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: since },
  logId: { keyId: createHash('sha256').update(spkiDer(publicKey)).digest('base64') },
});

export function trustedRoot(parts: { log?: TestLog; ca?: TestCa; ctLog?: { publicKey: KeyObject } }): object {
  return {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: parts.log ? [logInstance('http://127.0.0.1:3000', parts.log.publicKey)] : [],
    certificateAuthorities: parts.ca ? [{ subject: { organization: 'test', commonName: parts.ca.name }, uri: 'http://127.0.0.1:5555', certChain: { certificates: [{ rawBytes: parts.ca.der.toString('base64') }] }, validFor: since }] : [],
    ctlogs: parts.ctLog ? [logInstance('http://127.0.0.1:6962', parts.ctLog.publicKey)] : [],
    timestampAuthorities: [],
  };
}
