#!/usr/bin/env bash
# Regenerates docs/screenshots/cashier.png: starts the simulator, makes a pay link as a merchant
# would (python-alipay-sdk), and screenshots the cashier with headless Chromium.
# Needs: chromium, fonts-noto-cjk (apt-get install -y chromium fonts-noto-cjk).
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/paydesk/target}
source scripts/peers/env.sh
cargo build -q -p paydesk-sim --bin paydesk-sim
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
"$CARGO_TARGET_DIR/debug/paydesk-sim" --port 0 --data-dir "$work/data" --info-file "$work/info.json" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 300); do [ -s "$work/info.json" ] && break; sleep 0.1; done
link=$("$PAYDESK_PEERS_PY" - "$work/info.json" <<'PY'
import json, sys
from datetime import datetime, timedelta, timezone
import alipay as m
from alipay import AliPay
class BJ(datetime):
    @classmethod
    def now(cls, tz=None):
        return datetime.now(timezone(timedelta(hours=8))).replace(tzinfo=None)
m.datetime = BJ
info = json.load(open(sys.argv[1]))
c = AliPay(appid=info["app_id"], app_private_key_string=open(info["app_private_key"]).read(),
           alipay_public_key_string=open(info["alipay_public_key"]).read())
print(info["gateway_url"] + "?" + c.api_alipay_trade_page_pay(
    subject="Python 全栈开发 · 就业班", out_trade_no="20261125000012345678", total_amount="1579.00",
    return_url="http://127.0.0.1:8000/payment/result", body="路飞学城 课程订单"))
PY
)
mkdir -p docs/screenshots
chromium --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
  --disable-sync --hide-scrollbars --screenshot="$PWD/docs/screenshots/cashier.png" --window-size=1280,800 "$link" 2>/dev/null
echo "wrote docs/screenshots/cashier.png"
