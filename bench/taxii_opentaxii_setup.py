"""Prepare an OpenTAXII 0.10 server for the TAXII benchmark. Runs inside OpenTAXII's own venv.

With OPENTAXII_CONFIG pointing at the server's YAML: creates the tables, one default API root, one
collection, and a non-admin account allowed to read and write that collection only; prints
{"api_root": ..., "collection": ...} as JSON.

Run: OPENTAXII_CONFIG=config.yml /tmp/otv/bin/python bench/taxii_opentaxii_setup.py USER PASSWORD
"""

from __future__ import annotations

import json
import sys

from opentaxii.cli import app  # builds the server from OPENTAXII_CONFIG
from opentaxii.entities import Account


def main() -> None:
    username, password = sys.argv[1], sys.argv[2]
    server = app.taxii_server
    with app.app_context():
        api = server.servers.taxii2.persistence.api
        root = api.add_api_root(title="bench", description="benchmark", default=True, is_public=False)
        collection = api.add_collection(api_root_id=str(root.id), title="bench", alias="bench")
        # the auth manager's update_account checks names against TAXII 1 collections (disabled
        # here), so the account goes through the auth API directly; TAXII 2 permissions are
        # lists keyed by collection id
        server.auth.api.update_account(
            Account(id=None, username=username, is_admin=False,
                    permissions={str(collection.id): ["read", "write"]}),
            password)
    print(json.dumps({"api_root": str(root.id), "collection": str(collection.id)}))


if __name__ == "__main__":
    main()
