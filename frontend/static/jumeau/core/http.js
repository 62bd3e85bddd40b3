// Talking to our own server: HTTP statuses, unreadable answers and network failures become French sentences.

// The server's own `detail` texts are English (DRF); a French interface says what happened and what to do instead.
const STATUS_MESSAGES = {
  400: "La demande n'a pas été acceptée par le serveur : vérifiez ce que vous avez choisi puis réessayez.",
  403: "Accès refusé : votre compte n'a pas le droit de voir ces données. Connectez-vous avec un autre compte.",
  404: "Donnée introuvable sur le serveur : elle a peut-être été retirée. Rechargez la page.",
  429: "Trop de demandes en peu de temps : patientez une minute puis réessayez.",
  500: "Le serveur a rencontré une erreur. Réessayez dans un instant ; si cela persiste, prévenez l'équipe Jumeau.",
  503: "Le serveur est momentanément indisponible (maintenance ou surcharge). Réessayez dans quelques minutes.",
};

export function statusMessage(status) {
  if (STATUS_MESSAGES[status]) return STATUS_MESSAGES[status];
  if (status >= 500) return `Le serveur a répondu par une erreur (${status}). Réessayez dans un instant.`;
  return `Le serveur a refusé la demande (erreur ${status}).`;
}

// An error whose `message` is the French sentence a user reads; `detail` keeps what the server said, for the console.
export class HttpError extends Error {
  constructor(message, { status = null, detail = "", url = "" } = {}) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.detail = detail;
    this.url = url;
  }
}

function serverDetail(body) {
  if (!body || typeof body !== "object") return "";
  if (body.detail) return String(body.detail);
  return Object.values(body).flat().join(" ");
}

// fetch + JSON with the errors a user can read. Throws HttpError for a network failure, an HTTP error status
// or an answer that is not JSON (a proxy's HTML error page, a truncated body).
export async function fetchJson(url, options = {}) {
  let response;
  try {
    response = await fetch(url, { credentials: "same-origin", ...options });
  } catch (err) {
    throw new HttpError("Le serveur ne répond pas : vérifiez votre connexion puis réessayez.",
      { detail: String(err), url });
  }
  const text = await response.text();
  let body = null;
  let parsed = false;
  try {
    body = JSON.parse(text);
    parsed = true;
  } catch (err) {
    if (response.ok) {
      throw new HttpError("La réponse du serveur est illisible (ce n'est pas du JSON). Réessayez dans un instant.",
        { status: response.status, detail: `${err.message}: ${text.slice(0, 200)}`, url });
    }
  }
  if (!response.ok) {
    throw new HttpError(statusMessage(response.status),
      { status: response.status, detail: parsed ? serverDetail(body) : text.slice(0, 200), url });
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

// A French sentence for any error met while loading: ours, Cesium's, or the browser's.
export function describeError(err) {
  if (err instanceof HttpError) return err.message;
  const status = errorStatus(err);
  if (status) return statusMessage(status);
  if (err instanceof SyntaxError) return "La réponse du serveur est illisible. Réessayez dans un instant.";
  return "Le chargement a échoué (réseau coupé ou réponse inattendue). Réessayez dans un instant.";
}
