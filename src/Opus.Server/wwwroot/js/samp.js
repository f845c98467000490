// Sending a result to a desktop tool (TOPCAT, Aladin, DS9...) through a SAMP hub's Web Profile
// (http://localhost:21012, which the page's Content-Security-Policy allows). The page registers with
// the hub the first time it is asked, and the hub asks its user whether to accept this page.
// The tool receives a signed link, so it needs no credentials of its own.
import { samp } from './vendor/samp.js';

const APP_NAME = 'Opus';

/** Why a hub could not be used, said so that the user knows what to do. */
export class SampError extends Error {}

/**
 * The SAMP message for a result, or null when no desktop tool loads it:
 * VOTable and FITS tables and images by their standard MTypes; CSV by TOPCAT's table.load.stil
 * (the standard list has no CSV MType; TOPCAT loads any format STIL reads).
 */
export function sampMessage(kind, url, name) {
  switch (kind) {
    case 'votable': return { mtype: 'table.load.votable', params: { url, name } };
    case 'fits-table': return { mtype: 'table.load.fits', params: { url, name } };
    case 'fits-image': return { mtype: 'image.load.fits', params: { url, name } };
    case 'csv': return { mtype: 'table.load.stil', params: { url, name, format: 'csv' } };
    default: return null;
  }
}

export const mtypeOf = kind => sampMessage(kind, '', '')?.mtype ?? null;

// One registration per page; closed when the page is left.
let connection = null;

const call = (conn, method, args) => new Promise((resolve, reject) =>
  conn[method](args, resolve, error => reject(new SampError(error && typeof error === 'object' && 'faultString' in error
    ? `The SAMP hub answered: ${error.faultString}`
    : 'The SAMP hub stopped answering; start it again, then try again.'))));

function register() {
  return new Promise((resolve, reject) => {
    samp.register(APP_NAME, resolve, error => {
      // A fault is the hub's answer (registration refused); anything else means no hub answered.
      if (error && typeof error === 'object' && 'faultString' in error)
        reject(new SampError(`The SAMP hub refused this page: ${error.faultString}. Accept Opus when the hub asks, or check the hub's web profile settings.`));
      else
        reject(new SampError('No SAMP hub is running on this computer (none answers at localhost:21012). Start TOPCAT or Aladin, or another hub with the Web Profile, then try again.'));
    });
  });
}

async function connected() {
  if (connection) {
    try {
      // Still registered? (The hub may have been restarted.)
      await call(connection, 'getRegisteredClients', []);
      return connection;
    } catch {
      close();
    }
  }
  connection = await register();
  await call(connection, 'declareMetadata', [{ 'samp.name': APP_NAME, 'samp.description.text': 'Opus job results' }]);
  return connection;
}

/** The clients registered with the hub that take `mtype`: [{ id, name }], by name. */
export async function clientsFor(mtype) {
  const conn = await connected();
  const subscribed = await call(conn, 'getSubscribedClients', [mtype]);
  const clients = await Promise.all(Object.keys(subscribed).map(async id => {
    let name = id;
    try { name = (await call(conn, 'getMetadata', [id]))['samp.name'] || id; } catch { /* the id, then */ }
    return { id, name };
  }));
  return clients.sort((a, b) => a.name.localeCompare(b.name));
}

/** Sends the message to one client (a notification: the tool loads the URL itself). */
export async function sendTo(clientId, message) {
  const conn = await connected();
  await call(conn, 'notify', [clientId, new samp.Message(message.mtype, message.params)]);
}

/** Unregisters from the hub, if registered. */
export function close() {
  if (!connection) return;
  try { connection.close(); } catch { /* the hub is gone already */ }
  connection = null;
}
