# Makes notification_transaction.json with Python's cryptography package
# (an implementation independent of ours); sign it with
#   printf '1554208460\n5K8264ILTKCH16CQ2502SI8ZNMTM67VS\n%s\n' "$(cat notification_transaction.json)" \
#     | openssl dgst -sha256 -sign wechatpay_key.pem | base64 -w0
import base64, json
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

key = b"0123456789abcdef0123456789abcdef"  # the tests' APIv3 key
nonce = b"fdasflkja484"
plain = json.dumps({
    "appid": "wxd678efh567hg6787", "mchid": "1230000109", "out_trade_no": "SB20260101-42",
    "transaction_id": "4200000000202601010000000001", "trade_type": "JSAPI", "trade_state": "SUCCESS",
    "trade_state_desc": "支付成功", "bank_type": "OTHERS", "attach": "o42",
    "success_time": "2026-01-01T10:20:30+08:00", "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
    "amount": {"total": 12800, "payer_total": 12800, "currency": "CNY", "payer_currency": "CNY"},
}, separators=(",", ":"), ensure_ascii=False).encode()
sealed = AESGCM(key).encrypt(nonce, plain, b"transaction")
resource = {"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": base64.b64encode(sealed).decode(), "associated_data": "transaction", "nonce": nonce.decode()}
body = {"id": "EV-2018022511223320873", "create_time": "2026-01-01T10:20:31+08:00",
        "resource_type": "encrypt-resource", "event_type": "TRANSACTION.SUCCESS", "summary": "支付成功", "resource": resource}
with open("notification_transaction.json", "w", encoding="utf-8") as f:
    f.write(json.dumps(body, separators=(",", ":"), ensure_ascii=False))
