"""The dashboard and webhook receiver (FastAPI + Jinja2): `create_web_app(services)`.

- `app`: the factory; `deps`: request dependencies; `security`: passwords,
  session and CSRF; `formatting`: template filters; `health`: the pure
  green/amber/red judgement of a store;
- `routes/`: auth, pages, actions (retry/skip exports), webhooks, health+metrics;
- `views/`: the database queries behind each page;
- `templates/`, `static/`: server-rendered HTML and one stylesheet.
"""

from storebridge.web.app import create_web_app

__all__ = ["create_web_app"]
