"""A real SAMP hub (astropy's, with the Web Profile) and a real receiving client, for the browser tests.

  samp_helper.py hub --lockfile PATH --accept-origin ORIGIN
      Runs a hub whose Web Profile accepts a page from ORIGIN only (the consent dialog a user would answer).
      Prints "hub running", then "asked <name> <origin> accepted|refused" for each page that registers.
  samp_helper.py client --lockfile PATH --name NAME --out DIR MTYPE...
      Registers NAME with the hub, subscribed to the MTYPEs; prints "registered". For each message it
      downloads params.url (no credentials), saves the bytes in DIR, loads them as a desktop tool would
      (astropy's table and FITS readers) and prints one JSON line
      {"mtype", "url", "name", "format", "size", "sha256", "file", "loaded"} (or {"error": ...}).
Both run until their standard input closes.
"""
import argparse
import hashlib
import json
import os
import sys
import threading
import urllib.request

from astropy.io import fits
from astropy.samp import SAMPHubServer, SAMPIntegratedClient
from astropy.samp.hub import WebProfileDialog
from astropy.samp.lockfile_helpers import read_lockfile
from astropy.table import Table

# How each MType's file is read: a table's row count, an image's shape.
TABLE_FORMATS = {"table.load.votable": "votable", "table.load.fits": "fits"}


def load(path, mtype, params):
    if mtype == "image.load.fits":
        return {"shape": list(fits.getdata(path).shape)}
    table_format = TABLE_FORMATS.get(mtype) or params["format"]
    return {"rows": len(Table.read(path, format=table_format))}


def say(line):
    print(line, flush=True)


class OriginDialog(WebProfileDialog):
    """Answers the hub's consent question as a user would: yes for the one expected page origin."""

    def __init__(self, origin):
        self.origin = origin
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.wait(0.02):
            self.handle_queue()

    def show_dialog(self, samp_name, details, client, origin):
        accepted = origin == self.origin
        say(f"asked {samp_name} {origin} {'accepted' if accepted else 'refused'}")
        if accepted:
            self.consent()
        else:
            self.reject()


def run_hub(args):
    dialog = OriginDialog(args.accept_origin)
    hub = SAMPHubServer(addr="127.0.0.1", lockfile=args.lockfile, web_profile=True,
                        web_profile_dialog=dialog, label="opus-test")
    hub.start(wait=False)
    answering = threading.Thread(target=dialog.run, daemon=True)
    answering.start()
    say("hub running")
    sys.stdin.read()
    dialog.stopped.set()
    hub.stop()


def run_client(args):
    client = SAMPIntegratedClient(name=args.name, description="Opus test receiver", callable=True)
    client.connect(hub_params=read_lockfile(args.lockfile))
    count = [0]
    lock = threading.Lock()

    def receive(params, mtype):
        try:
            with urllib.request.urlopen(params["url"], timeout=60) as response:
                content = response.read()
            with lock:
                count[0] += 1
                path = os.path.join(args.out, f"received-{count[0]}")
            with open(path, "wb") as f:
                f.write(content)
            say(json.dumps({"mtype": mtype, "url": params["url"], "name": params.get("name"), "format": params.get("format"),
                            "size": len(content), "sha256": hashlib.sha256(content).hexdigest(), "file": path,
                            "loaded": load(path, mtype, params)}))
        except Exception as e:  # reported to the test, which fails with it
            say(json.dumps({"mtype": mtype, "url": params.get("url"), "error": str(e)}))

    def on_notification(private_key, sender_id, mtype, params, extra):
        receive(params, mtype)

    def on_call(private_key, sender_id, msg_id, mtype, params, extra):
        receive(params, mtype)
        client.reply(msg_id, {"samp.status": "samp.ok", "samp.result": {}})

    for mtype in args.mtypes:
        client.bind_receive_notification(mtype, on_notification)
        client.bind_receive_call(mtype, on_call)
    say("registered")
    sys.stdin.read()
    client.disconnect()


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="mode", required=True)
    hub = sub.add_parser("hub")
    hub.add_argument("--lockfile", required=True)
    hub.add_argument("--accept-origin", required=True)
    client = sub.add_parser("client")
    client.add_argument("--lockfile", required=True)
    client.add_argument("--name", required=True)
    client.add_argument("--out", required=True)
    client.add_argument("mtypes", nargs="+")
    args = parser.parse_args()
    (run_hub if args.mode == "hub" else run_client)(args)


if __name__ == "__main__":
    main()
