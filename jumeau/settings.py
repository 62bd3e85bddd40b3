"""Jumeau settings: one module, read from the environment; a fresh checkout runs embedded."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from jumeau.envsettings import envbool, envextent, envfloat, envint, envlist, redis_db_after
from jumeau.static_files import is_immutable, revalidate_the_rest, vendor_folders

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.getenv("JUMEAU_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = envbool("DEBUG", "0")
SECRET_KEY = os.getenv("SECRET_KEY", "")
_secret_key_file = Path(os.getenv("SECRET_KEY_FILE", str(VAR_DIR / "secret_key")))
if not SECRET_KEY and _secret_key_file.is_file():
    # The docker-secrets pattern; `make demo` and `make test` write var/secret_key once.
    SECRET_KEY = _secret_key_file.read_text().strip()
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            f"SECRET_KEY is required when DEBUG is off: set SECRET_KEY, or put one in {_secret_key_file} "
            "(`make demo` writes one), or run with DEBUG=1 for development."
        )
    SECRET_KEY = "jumeau-debug-only-key"

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "axes",
    "rest_framework",
    "rest_framework_gis",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "channels",
    "django_celery_beat",
    "django_celery_results",
    "twin",
    "gis_sync",
    "tiles",
    "viewshed",
    "realtime",
    "frontend",
    "jumeau",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "jumeau.urls"
ASGI_APPLICATION = "jumeau.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "frontend.context_processors.vendor",
            ],
        },
    },
]

# --- Database: SpatiaLite file by default, PostGIS when DATABASE_URL says so.
DATABASE_URL = os.getenv("DATABASE_URL", "")
if DATABASE_URL:
    if not DATABASE_URL.startswith(("postgis://", "postgres://", "postgresql://")):
        raise ImproperlyConfigured(
            f"DATABASE_URL must be postgis://user@host:port/name, got {DATABASE_URL.split('@')[-1]!r}."
        )
    _db = dj_database_url.parse(
        DATABASE_URL.replace("postgres://", "postgis://", 1).replace("postgresql://", "postgis://", 1)
    )
    _db["ENGINE"] = "django.contrib.gis.db.backends.postgis"
    _db["CONN_MAX_AGE"] = envint("DB_CONN_MAX_AGE", "60")
    # One test database per test process: two runs on one server (a developer and CI) never share one.
    _db["TEST"] = {"NAME": os.getenv("TEST_DATABASE_NAME", f"test_{_db['NAME']}_{os.getpid()}")}
    DATABASES = {"default": _db}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.contrib.gis.db.backends.spatialite",
            "NAME": str(VAR_DIR / os.getenv("SPATIALITE_NAME", "jumeau.sqlite3")),
            "OPTIONS": {
                "timeout": 30,
                # Write-ahead log: readers (the web server, a job polling results) no longer block a writer's
                # commit, nor it them; the embedded demo runs workers and the server on this one file. NORMAL
                # syncs at checkpoints only: still never corrupt, a power cut may lose the last commits.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # One file per test process: parallel runs must not share a test database.
            "TEST": {"NAME": str(VAR_DIR / f"test_jumeau_{os.getpid()}.sqlite3")},
        }
    }
SPATIALITE_LIBRARY_PATH = os.getenv("SPATIALITE_LIBRARY_PATH", "mod_spatialite")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channels: in-memory layer by default, Redis when REDIS_URL says so.
REDIS_URL = os.getenv("REDIS_URL", "")
# Several twins (or parallel test runs) may share one Redis: every key of the live transit hub has this prefix.
REALTIME_REDIS_PREFIX = os.getenv("REALTIME_REDIS_PREFIX", "jumeau:realtime:")
# Whether a server process paces its full garbage collections between broadcasts: 1, 0, or auto (paces only
# when the hub publishes in this process, i.e. without REDIS_URL; realtime/gc_pacing.py says why).
JUMEAU_GC_PACING = os.getenv("JUMEAU_GC_PACING", "auto").strip().lower()
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "capacity": 1500, "expiry": 30},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- Jobs (Celery): syncs, tile builds, the surface model and GTFS imports run on workers, never in a request.
# With REDIS_URL the broker is Redis on the database after the channel layer's (a worker may run on any machine
# that reaches it); without, kombu's filesystem transport under var/celery/ (no server: the embedded demo).
if REDIS_URL:
    CELERY_BROKER_URL = os.getenv("CELERY_BROKER_URL", "") or redis_db_after(REDIS_URL)
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 4 * 3600}
else:
    _celery_dir = Path(os.getenv("JUMEAU_CELERY_DIR", str(VAR_DIR / "celery")))
    CELERY_BROKER_URL = "filesystem://"
    # kombu's filesystem transport with messages that appear whole (jumeau/broker.py says why).
    CELERY_BROKER_TRANSPORT = "jumeau.broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Producers write where workers read: one folder for both directions.
        "data_folder_in": str(_celery_dir / "queue"),
        "data_folder_out": str(_celery_dir / "queue"),
        "control_folder": str(_celery_dir / "control"),
        "processed_folder": str(_celery_dir / "processed"),
        "store_processed": False,
        # Seconds an idle worker waits before looking at the folder again (kombu's default: 1). Each hand-off
        # between jobs (a chord's parts, then its callback) waits up to this long; a listdir is cheap.
        "polling_interval": envfloat("JUMEAU_CELERY_POLL_S", "0.1"),
    }
# A queue name of its own lets a test session run its worker beside the demo's on the same broker.
CELERY_TASK_DEFAULT_QUEUE = os.getenv("JUMEAU_CELERY_QUEUE", "jumeau")
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True  # task name, arguments and worker in the admin's task results
CELERY_TASK_TRACK_STARTED = True  # a running job shows as STARTED, not PENDING
CELERY_TASK_ACKS_LATE = True  # a worker that dies mid-job leaves the message for another one
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # long jobs: a worker takes one at a time
# A worker keeps its database connection for this many jobs (then twice as many more) instead of closing it after
# each: a split build's parts are short, and opening SpatiaLite (loading the extension) cost about a tenth of a
# part's time (py-spy, bench/jobs.py).
CELERY_DB_REUSE_MAX = envint("JUMEAU_CELERY_DB_REUSE_MAX", "20") or None
CELERY_TASK_SERIALIZER = CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = os.getenv("TIME_ZONE", "Europe/Paris")
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Seconds a job may run before it is stopped (the soft limit raises inside the task, so its run is recorded).
JUMEAU_JOB_TIME_LIMIT_S = envint("JUMEAU_JOB_TIME_LIMIT_S", str(3 * 3600))
if JUMEAU_JOB_TIME_LIMIT_S < 60:
    raise ImproperlyConfigured(f"JUMEAU_JOB_TIME_LIMIT_S={JUMEAU_JOB_TIME_LIMIT_S} must be at least 60.")
# Seconds a job's lock outlives its holder: a running job renews it (a heartbeat every quarter of it), so a worker
# killed mid-job frees its layer or source after this long, and a build it left is abandoned and queued again.
JUMEAU_JOB_LEASE_S = envfloat("JUMEAU_JOB_LEASE_S", "300")
if JUMEAU_JOB_LEASE_S < 2:
    raise ImproperlyConfigured(f"JUMEAU_JOB_LEASE_S={JUMEAU_JOB_LEASE_S} must be at least 2 (seconds).")
# Seconds between tries of a job that found another run of itself holding its lock.
JUMEAU_JOB_LOCK_WAIT_S = envfloat("JUMEAU_JOB_LOCK_WAIT_S", "30")
# Seconds before the first retry of a failed download; each next retry waits twice as long.
JUMEAU_JOB_RETRY_BACKOFF_S = envint("JUMEAU_JOB_RETRY_BACKOFF_S", "60")
# Jobs a splittable layer's build (the buildings) is cut into to scan (and three times as many to write,
# tiles.split.WRITES_PER_SCAN): any worker on any machine sharing the tiles folder takes one. Several per worker
# even out parts of unequal speed; 1 builds in one job.
JUMEAU_TILE_BUILD_PARTS = envint("JUMEAU_TILE_BUILD_PARTS", "8")
if JUMEAU_TILE_BUILD_PARTS < 1:
    raise ImproperlyConfigured(f"JUMEAU_TILE_BUILD_PARTS={JUMEAU_TILE_BUILD_PARTS} must be at least 1.")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "fr-fr"
TIME_ZONE = os.getenv("TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Cesium, three and 3d-tiles-renderer at versioned URLs, cached for a year; the app's own files revalidated
# (why not content hashes: jumeau/static_files.py). nginx applies the same rule (docker/nginx.conf.template).
VENDOR_STATIC = vendor_folders(BASE_DIR / "frontend" / "node_modules")
STATICFILES_DIRS = [(prefix, folder) for prefix, folder in VENDOR_STATIC.values()]
# Served from STATIC_ROOT, where collectstatic (run by `manage.py serve_demo`, and in the Docker image) left a
# brotli and a gzip copy of each file: WhiteNoise picks one by Accept-Encoding. The finders serve the
# source folders uncompressed, for whoever edits files while the server runs (JUMEAU_STATIC_FROM_SOURCE=1).
WHITENOISE_USE_FINDERS = envbool("JUMEAU_STATIC_FROM_SOURCE", "1" if DEBUG else "0")
WHITENOISE_IMMUTABLE_FILE_TEST = is_immutable
WHITENOISE_ADD_HEADERS_FUNCTION = revalidate_the_rest
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "jumeau.static_files.CompressedStatic"},
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"

# --- Sign-in under attack (django-axes): /accounts/login/, the admin's login and the password change
# count failures per (client address, username); past the limit that pair is refused, right password
# included, until the cool-off ends. Another address, or another account, is not locked.
AUTHENTICATION_BACKENDS = [
    "twin.login_guard.RequestBoundAxesBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = envint("JUMEAU_LOGIN_FAILURE_LIMIT", "5")
AXES_COOLOFF_TIME = timedelta(minutes=envfloat("JUMEAU_LOGIN_COOLOFF_MINUTES", "15"))
AXES_LOCKOUT_PARAMETERS = [["ip_address", "username"]]
AXES_RESET_ON_SUCCESS = True
# The sign-in form's field axes counts failures by (its default, stated: twin/login_guard.py reads it too).
AXES_USERNAME_FORM_FIELD = "username"
# The address nginx saw (JUMEAU_TRUSTED_PROXIES), by the very rule the API throttles use; the
# AXES_IPWARE_* settings only apply with django-ipware installed, which this rule makes unneeded.
AXES_CLIENT_IP_CALLABLE = "twin.login_guard.client_ip"
AXES_LOCKOUT_CALLABLE = "twin.login_guard.lockout_response"
# Masked in the attempts axes records (the sign-in password always is): the password-change form's too.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "old_password", "new_password1", "new_password2"]
# Password-reset e-mails one address may ask for (DRF rate syntax): more is a nuisance to the mailbox owner.
JUMEAU_PASSWORD_RESET_RATE = os.getenv("JUMEAU_PASSWORD_RESET_RATE", "5/hour")

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# Proxies in front of the app that append the client's address to X-Forwarded-For: 0 for the embedded
# server (the socket's address is the client), 1 behind docker/nginx.conf. Throttles and login lockouts
# key on the address the last trusted proxy saw; an X-Forwarded-For a client writes itself is never read
# (with NUM_PROXIES unset DRF would key on the whole header, a new bucket for every forged value).
JUMEAU_TRUSTED_PROXIES = envint("JUMEAU_TRUSTED_PROXIES", "0")
if JUMEAU_TRUSTED_PROXIES < 0:
    raise ImproperlyConfigured(f"JUMEAU_TRUSTED_PROXIES={JUMEAU_TRUSTED_PROXIES} must be 0 or more.")
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # The app's own session only: HTTP Basic would send passwords with every request and invite password guessing
    # against the API, which has no login throttle.
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    # Closed unless a view says otherwise: every public view states AllowAny and why (twin/permissions.py).
    "DEFAULT_PERMISSION_CLASSES": ["twin.permissions.DenyAll"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # ?limit is capped (max_limit 500): no single request lists the whole city.
    "DEFAULT_PAGINATION_CLASS": "twin.pagination.CappedLimitOffsetPagination",
    "PAGE_SIZE": 200,
    "DEFAULT_THROTTLE_RATES": {
        "viewshed": os.getenv("VIEWSHED_THROTTLE", "30/min"),
        # Search is cheap but typed letter by letter (debounced): generous, yet a scraper cannot list the city.
        "search": os.getenv("SEARCH_THROTTLE", "120/min"),
        # New comments on a project in consultation, per client: a citizen writes a few, a script is stopped.
        "comments": os.getenv("COMMENT_THROTTLE", "10/hour"),
    },
    "NUM_PROXIES": JUMEAU_TRUSTED_PROXIES,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Jumeau API",
    "DESCRIPTION": "The city's 3D digital twin: buildings, networks, projects, the view from a balcony, live transit.",
    "VERSION": "0.1.0",
    # Served from the app itself: the twin runs on-premise with no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- The city: storage CRS and extent (the demo is Antibes in Lambert-93, heights NGF-IGN69).
JUMEAU_CITY_NAME = os.getenv("JUMEAU_CITY_NAME", "Antibes")
# The storage CRS (EPSG code, metres): every geometry in the database, every import transformed into it.
JUMEAU_SRID = envint("JUMEAU_SRID", "2154")
# The first view: camera longitude°, latitude°, height (m above the ellipsoid), heading° and pitch°.
JUMEAU_HOME_VIEW = [float(v) for v in envlist("JUMEAU_HOME_VIEW", "7.1405,43.5675,650,-34,-20")]
# The city's extent in the storage CRS (xmin,ymin,xmax,ymax): the surface model's grid and the tiles' root.
JUMEAU_EXTENT = envextent("JUMEAU_EXTENT", "1030200,6279200,1036200,6287200")
# Orthometric heights become ellipsoidal through this geoid grid only (PROJ name or path).
JUMEAU_GEOID_GRID = os.getenv("JUMEAU_GEOID_GRID", "egm96_15.gtx")
# Coordinate operations PROJ states less accurate than this (metres) are refused unless a sync run is given
# --allow-approximate; 2 m lets stated Helmert datum shifts through (each is recorded on the run).
JUMEAU_MAX_TRANSFORM_ERROR_M = envfloat("JUMEAU_MAX_TRANSFORM_ERROR_M", "2.0")
# Where published tilesets live (nginx serves public ones straight from here in production).
JUMEAU_TILES_DIR = Path(os.getenv("JUMEAU_TILES_DIR", str(VAR_DIR / "tiles")))
# Seconds between two looks at the published layers by each server process (tiles/announce.py): the most an open
# app waits to hear of a new build, on top of its download.
JUMEAU_LAYER_WATCH_S = envfloat("JUMEAU_LAYER_WATCH_S", "1.0")
if not 0.05 <= JUMEAU_LAYER_WATCH_S <= 60:
    raise ImproperlyConfigured(f"JUMEAU_LAYER_WATCH_S={JUMEAU_LAYER_WATCH_S} must be between 0.05 and 60 seconds.")
# Behind nginx: protected tiles are sent by nginx from this internal location after our check.
JUMEAU_TILES_ACCEL_PREFIX = os.getenv("JUMEAU_TILES_ACCEL_PREFIX", "")
# Where imported models and point clouds are kept after a sync (meshes of project variants, copies of LAS files).
JUMEAU_DATA_DIR = Path(os.getenv("JUMEAU_DATA_DIR", str(VAR_DIR / "data")))
# The farthest a view from a balcony looks (metres); a larger radius asked for is refused.
JUMEAU_VIEWSHED_MAX_RADIUS_M = envfloat("JUMEAU_VIEWSHED_MAX_RADIUS_M", "3000")
# Seconds one view may compute before it is abandoned with a 503 (the request never waits longer).
JUMEAU_VIEWSHED_TIMEOUT_S = envfloat("JUMEAU_VIEWSHED_TIMEOUT_S", "10")
# Cell size of the surface model (metres): 1 m holds a balcony's view to the sea; finer costs memory squared.
JUMEAU_DSM_CELL_M = envfloat("JUMEAU_DSM_CELL_M", "1.0")
# Views computed at once by one server process; a request beyond it gets a 503 with Retry-After, never a queue.
JUMEAU_VIEWSHED_WORKERS = envint("JUMEAU_VIEWSHED_WORKERS", str(os.cpu_count() or 1))
if JUMEAU_VIEWSHED_WORKERS < 1:
    raise ImproperlyConfigured(f"JUMEAU_VIEWSHED_WORKERS={JUMEAU_VIEWSHED_WORKERS} must be 1 or more.")

# --- Production hardening. Defaults suit the embedded demo (plain HTTP on 127.0.0.1); docker/env.example
# sets the production values, and tests/deploy runs `check --deploy` with them.
# Trust X-Forwarded-Proto only behind nginx, which sets it itself: without a proxy a client could write it
# and pass a plain-HTTP request off as HTTPS (secure cookies sent, the SSL redirect skipped).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if envbool("JUMEAU_BEHIND_TLS_PROXY", "0") else None
# Redirect any request that reached Django over plain HTTP (nginx already redirects port 80).
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "0")
# Session and CSRF cookies only over HTTPS: a cookie sent in clear once is a stolen planner session.
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", "0")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# HSTS: browsers refuse plain HTTP to us for this long. The embedded demo is plain HTTP, hence 0.
# nginx sends the same policy (docker/nginx.conf.template); Django's matters when reached without nginx.
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "0")
# Subdomains too: a city's other hosts under the same name must not be reachable in clear either.
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "0")
# Lets the domain be submitted to browsers' preload lists (a commitment: only once HTTPS is there to stay).
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "0")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# How much the server, the worker and the commands say (DEBUG, INFO, WARNING, ERROR).
LOG_LEVEL = os.getenv("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # WeasyPrint narrates every layout step of a PDF at INFO.
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# GDAL 3.6 is Debian 12's; the check asks for 3.9+ to block file access from crafted SRS strings.
# Import files come from authenticated staff and operators, never from citizens.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

# --- What a sync may fetch and unpack (gis_sync.locations): a broken or hostile source fails fast and says why.
# A download stops past this size or this total time; each read (and the connection) also times out on its own.
JUMEAU_SYNC_MAX_DOWNLOAD_BYTES = envint("JUMEAU_SYNC_MAX_DOWNLOAD_BYTES", str(4 * 1024**3))
JUMEAU_SYNC_DOWNLOAD_TIMEOUT_S = envfloat("JUMEAU_SYNC_DOWNLOAD_TIMEOUT_S", "1800")
JUMEAU_SYNC_READ_TIMEOUT_S = envfloat("JUMEAU_SYNC_READ_TIMEOUT_S", "120")
# A zip archive is refused when its members declare more than this in all, or are more than this many.
JUMEAU_SYNC_MAX_UNPACKED_BYTES = envint("JUMEAU_SYNC_MAX_UNPACKED_BYTES", str(20 * 1024**3))
JUMEAU_SYNC_MAX_ARCHIVE_MEMBERS = envint("JUMEAU_SYNC_MAX_ARCHIVE_MEMBERS", "100000")
# A glTF buffer (inline data: URI or file next to the model) larger than this is refused.
JUMEAU_SYNC_MAX_GLTF_BUFFER_BYTES = envint("JUMEAU_SYNC_MAX_GLTF_BUFFER_BYTES", str(1024**3))

# --- API schema: the error answers of every operation documented (twin/openapi_errors.py).
SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"] = [
    "drf_spectacular.hooks.postprocess_schema_enums",
    "twin.openapi_errors.add_error_responses",
]
