import { X509Certificate } from 'node:crypto';

/**
 * A name the (first) certificate of a PEM chain is valid for, to verify it under: its first DNS name, else
 * its first IP address, else its subject's CN; undefined when it names none.
 */
export function certificateServerName(pem: string | Uint8Array): string | undefined {
  const cert = new X509Certificate(pem);
  const names = (cert.subjectAltName ?? '').split(',').map((s) => s.trim());
  const dns = names.find((n) => n.startsWith('DNS:'));
  if (dns !== undefined) return dns.slice(4);
  const ip = names.find((n) => n.startsWith('IP Address:'));
  if (ip !== undefined) return ip.slice('IP Address:'.length);
  return /^CN=(.+)$/m.exec(cert.subject)?.[1];
}
