const TOKEN_KEY = 'drover.token';

/**
 * Reads the coordinator's dashboard API (`/api/...`) on the page's own origin. An admin token, when
 * the coordinator asks for one, comes from the page address's fragment (`#token=...`, which browsers
 * never send to a server) or the token form, lives in this tab's sessionStorage only, and is sent as
 * `Authorization: Bearer`.
 */
export class ApiClient {
  constructor() {
    this.takeTokenFromAddress();
  }

  /**
   * Moves a `#token=...` fragment of the page address into sessionStorage and out of the address
   * (so it is not left on screen or in history). Called at load and when the fragment changes.
   * @returns {boolean} whether a token was found
   */
  takeTokenFromAddress() {
    const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
    if (!match) return false;
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
    history.replaceState(null, '', location.pathname + location.search);
    return true;
  }

  /** @param {string} token */
  setToken(token) {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  }

  /**
   * GETs a JSON document. Rejects with an error whose `status` is the HTTP status (401: a token is needed).
   * @param {string} path
   * @returns {Promise<any>}
   */
  async get(path) {
    const token = sessionStorage.getItem(TOKEN_KEY);
    const response = await fetch(path, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      cache: 'no-store',
    });
    if (!response.ok) {
      let message = `${path}: HTTP ${response.status}`;
      try {
        const body = await response.json();
        if (body && typeof body.error === 'string') message = body.error;
      } catch {
        // Not JSON: keep the status line.
      }
      throw Object.assign(new Error(message), { status: response.status });
    }
    return response.json();
  }
}
