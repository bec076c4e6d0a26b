// A throwaway certificate authority and server certificates for TLS registries, made with openssl.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CertificateAuthority {
  readonly certFile: string;
  readonly keyFile: string;
}

export interface ServerCertificate {
  readonly certFile: string;
  readonly keyFile: string;
  readonly ca: CertificateAuthority;
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export function createCertificateAuthority(dir: string, name = 'kubectl-build test CA', days = 7): CertificateAuthority {
  const ca = { certFile: join(dir, 'ca.crt'), keyFile: join(dir, 'ca.key') };
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', ca.keyFile, '-out', ca.certFile, '-days', String(days), '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  return ca;
}

/** A certificate for 127.0.0.1 and localhost, signed by `ca`. */
export function createServerCertificate(ca: CertificateAuthority, dir: string, name = 'server'): ServerCertificate {
  return createCertificate(ca, dir, name, '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
}

/** A client certificate for mutual TLS, signed by `ca`. */
export function createClientCertificate(ca: CertificateAuthority, dir: string, name = 'client'): ServerCertificate {
  return createCertificate(ca, dir, name, `/CN=kubectl-build ${name}`, 'extendedKeyUsage=clientAuth\n');
}

/** A certificate signed by `ca`; `subject` in openssl's /CN=../O=.. form, `extensions` as an extfile. */
export function createCertificate(ca: CertificateAuthority, dir: string, name: string, subject: string, extensions: string, days = 7): ServerCertificate {
  const keyFile = join(dir, `${name}.key`);
  const csrFile = join(dir, `${name}.csr`);
  const certFile = join(dir, `${name}.crt`);
  const extFile = join(dir, `${name}.ext`);
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile,
    '-out', csrFile, '-subj', subject]);
  writeFileSync(extFile, extensions);
  openssl(['x509', '-req', '-in', csrFile, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-CAcreateserial',
    '-out', certFile, '-days', String(days), '-extfile', extFile]);
  return { certFile, keyFile, ca };
}
