// Talking to our own server: HTTP statuses, unreadable answers and network failures become sentences in the
// visitor's language, said again in the new one after a switch (describeError reads the error, not a stored text).
import { addResources, t } from "./i18n.js";

// The server's own `detail` texts are English (DRF) whatever the interface: a visitor reads what happened and
// what to do instead, in the language of the page.
addResources("http", {
  fr: {
    status: {
      400: "La demande n'a pas été acceptée par le serveur : vérifiez ce que vous avez choisi puis réessayez.",
      403: "Accès refusé : votre compte n'a pas le droit de voir ces données. Connectez-vous avec un autre compte.",
      404: "Donnée introuvable sur le serveur : elle a peut-être été retirée. Rechargez la page.",
      429: "Trop de demandes en peu de temps : patientez une minute puis réessayez.",
      500: "Le serveur a rencontré une erreur. Réessayez dans un instant ; si cela persiste, prévenez l'équipe Jumeau.",
      503: "Le serveur est momentanément indisponible (maintenance ou surcharge). Réessayez dans quelques minutes.",
    },
    throttled: "Trop de demandes en peu de temps : patientez {{seconds}} s puis réessayez.",
    serverError: "Le serveur a répondu par une erreur ({{status}}). Réessayez dans un instant.",
    refused: "Le serveur a refusé la demande (erreur {{status}}).",
    network: "Le serveur ne répond pas : vérifiez votre connexion puis réessayez.",
    badJson: "La réponse du serveur est illisible (ce n'est pas du JSON). Réessayez dans un instant.",
    failed: "Le chargement a échoué (réseau coupé ou réponse inattendue). Réessayez dans un instant.",
  },
  en: {
    status: {
      400: "The server did not accept the request: check what you chose, then try again.",
      403: "Access denied: your account may not see this data. Sign in with another account.",
      404: "Not found on the server: it may have been removed. Reload the page.",
      429: "Too many requests in a short time: wait a minute, then try again.",
      500: "The server met an error. Try again in a moment; if it goes on, tell the Jumeau team.",
      503: "The server is unavailable for a moment (maintenance or load). Try again in a few minutes.",
    },
    throttled: "Too many requests in a short time: wait {{seconds}} s, then try again.",
    serverError: "The server answered with an error ({{status}}). Try again in a moment.",
    refused: "The server refused the request (error {{status}}).",
    network: "The server does not answer: check your connection, then try again.",
    badJson: "The server's answer cannot be read (it is not JSON). Try again in a moment.",
    failed: "Loading failed (network down or an unexpected answer). Try again in a moment.",
  },
});

const KNOWN = [400, 403, 404, 429, 500, 503];

export function statusMessage(status, retryAfter = null) {
  if (status === 429 && retryAfter) return t("http:throttled", { seconds: retryAfter });
  if (KNOWN.includes(status)) return t(`http:status.${status}`);
  if (status >= 500) return t("http:serverError", { status });
  return t("http:refused", { status });
}

// An error whose `message` is the sentence a user reads (in the language of the moment it was thrown);
// `kind` ("network", "status", "json") and `status` let describeError say it again in another language;
// `detail` keeps what the server said, for the console.
export class HttpError extends Error {
  constructor(message, { kind = "status", status = null, detail = "", url = "", retryAfter = null } = {}) {
    super(message);
    this.name = "HttpError";
    this.kind = kind;
    this.status = status;
    this.detail = detail;
    this.url = url;
    this.retryAfter = retryAfter;
  }
}

function serverDetail(body) {
  if (!body || typeof body !== "object") return "";
  if (body.detail) return String(body.detail);
  return Object.values(body).flat().join(" ");
}

// Seconds to wait from a Retry-After header (seconds or an HTTP date), or null.
function retryAfterSeconds(header) {
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(1, Math.ceil(seconds));
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(1, Math.ceil((at - Date.now()) / 1000));
}

// fetch + JSON with the errors a user can read. Throws HttpError for a network failure, an HTTP error status
// or an answer that is not JSON (a proxy's HTML error page, a truncated body).
export async function fetchJson(url, options = {}) {
  let response;
  try {
    response = await fetch(url, { credentials: "same-origin", ...options });
  } catch (err) {
    throw new HttpError(t("http:network"), { kind: "network", detail: String(err), url });
  }
  const text = await response.text();
  let body = null;
  let parsed = false;
  try {
    body = JSON.parse(text);
    parsed = true;
  } catch (err) {
    if (response.ok) {
      throw new HttpError(t("http:badJson"),
        { kind: "json", status: response.status, detail: `${err.message}: ${text.slice(0, 200)}`, url });
    }
  }
  if (!response.ok) {
    const retryAfter = response.status === 429 ? retryAfterSeconds(response.headers.get("Retry-After")) : null;
    throw new HttpError(statusMessage(response.status, retryAfter), {
      status: response.status, detail: parsed ? serverDetail(body) : text.slice(0, 200), url, retryAfter,
    });
  }
  return body;
}

// The status of an error from Cesium (a RequestErrorEvent, or a tileFailed message "… Status Code: 500").
export function errorStatus(err) {
  if (err && Number.isInteger(err.statusCode)) return err.statusCode;
  if (err && Number.isInteger(err.status)) return err.status;
  const match = /Status Code: (\d{3})/.exec(typeof err === "string" ? err : String(err && (err.message || err)));
  return match ? Number(match[1]) : null;
}

// A sentence in the language shown now for any error met while loading: ours, Cesium's, or the browser's.
export function describeError(err) {
  if (err instanceof HttpError && err.kind === "network") return t("http:network");
  if (err instanceof HttpError && err.kind === "json") return t("http:badJson");
  const status = errorStatus(err);
  if (status) return statusMessage(status, err && err.retryAfter);
  if (err instanceof SyntaxError) return t("http:badJson");
  return t("http:failed");
}

// Whether trying the same request again can help: not when the account lacks the right (403) or the request
// itself was refused (other 4xx); yes for the network, the server's errors, an unreadable answer and a 429
// (once its wait is over).
export function retryable(err) {
  const status = errorStatus(err);
  if (status === 429 || status === 408) return true;
  return !(status >= 400 && status < 500);
}

// Milliseconds to wait before a retry is worth pressing (a 429's Retry-After), else 0.
export function retryDelay(err) {
  return err && err.retryAfter ? err.retryAfter * 1000 : 0;
}
