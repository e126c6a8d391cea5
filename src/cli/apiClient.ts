// How the CLI reaches the running pipeline's API: its address (a wildcard bind is reached on
// loopback) and the bearer token when the API requires one.
import type { PulseConfig } from '../config.ts';

export function apiBaseUrl(config: PulseConfig): string {
  const host = config.PULSE_API_HOST;
  const reachable =
    host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${reachable}:${String(config.PULSE_API_PORT)}`;
}

export function apiHeaders(config: PulseConfig): Record<string, string> {
  return {
    'content-type': 'application/json',
    ...(config.PULSE_API_TOKEN === undefined ? {} : { authorization: `Bearer ${config.PULSE_API_TOKEN}` }),
  };
}
