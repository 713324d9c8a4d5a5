#!/usr/bin/env python3
"""GET one Firestore document the way Google's generated Python REST client
sends it, and print what happened as one JSON line.

google-cloud-firestore's REST transport (transports/rest.py) hands its query
parameters to `requests` as a list of pairs, adding "$alt" itself, and
google-api-core builds x-goog-request-params with urlencode(..., safe="/").
`requests` encodes the query with urlencode too, so "$alt" leaves as "%24alt"
and "json;enum-encoding=int" as "json%3Benum-encoding%3Dint".

usage: rest_get_document.py BASE_URL PROJECT DOCUMENT_PATH FIELD
"""
import json
import sys
import urllib.parse

import requests


def main():
    base_url, project, document_path, field = sys.argv[1:5]
    name = f"projects/{project}/databases/(default)/documents/{document_path}"
    params = [("mask.fieldPaths", field), ("$alt", "json;enum-encoding=int")]
    headers = {
        "x-goog-api-client": "gl-python/3 rest/ gapic/ gccl/",
        "x-goog-request-params": urllib.parse.urlencode({"name": name}, safe="/"),
        "Content-Type": "application/json",
    }
    response = requests.get(f"{base_url}/v1/{name}", params=params, headers=headers, timeout=10)
    print(json.dumps({
        "status": response.status_code,
        "url": response.request.url,
        "body": response.text,
    }))


if __name__ == "__main__":
    main()
