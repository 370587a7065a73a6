/** Where Debian's `sumo-tools` puts SUMO's data (schemas, `tools/randomTrips.py`). */
const DEBIAN_SUMO_HOME = '/usr/share/sumo';

/**
 * The environment for any SUMO process: `SUMO_HOME` must be set, or SUMO 1.15 tries to fetch
 * its XML schemas from the web and fails offline. Debian's package does not set it.
 */
export function sumoEnvironment(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...base, SUMO_HOME: base.SUMO_HOME || DEBIAN_SUMO_HOME };
}
