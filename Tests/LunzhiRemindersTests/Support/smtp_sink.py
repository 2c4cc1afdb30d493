"""A real SMTP server for the tests (aiosmtpd): stores each message as it arrived, with its
envelope recipients, in a directory. Usage: smtp_sink.py PORT DIRECTORY"""
import os
import sys
import time

from aiosmtpd.controller import Controller


class Store:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        path = os.path.join(self.directory, f"{self.count:06d}.eml")
        with open(path + ".tmp", "wb") as f:
            f.write(("X-Envelope-To: " + ",".join(envelope.rcpt_tos) + "\r\n").encode() + envelope.original_content)
        os.rename(path + ".tmp", path)
        return "250 OK"


controller = Controller(Store(sys.argv[2]), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
while True:
    time.sleep(3600)
