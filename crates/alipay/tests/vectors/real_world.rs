//! Payloads really signed by Alipay (production, sandbox) and published, with the public keys
//! that verify them, plus copies tampered with by their publishers. Facts copied as test vectors:
//! each names the repository, file, commit and line it was taken from. Shared by the library's
//! tests (crates/alipay/tests/real_world.rs) and `paydesk verify`'s (crates/cli/tests/verify.rs).
//!
//! A vector's `kind` is what it is; `expect` what Paydesk must answer: VALID under the documented
//! rule (`sign` and `sign_type` left out), VALID with `sign_type` kept (Alipay's other habit),
//! VALID as a gateway response (raw text of its `*_response` member), or INVALID with an error
//! code.

#![allow(dead_code)]

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Return,
    Notify,
    Response,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    Documented,
    SignTypeKept,
    Response,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    Valid(Rule),
    Invalid(&'static str),
}

pub struct Vector {
    pub id: &'static str,
    pub kind: Kind,
    /// The Alipay public key (SPKI, one-line base64) that verifies it.
    pub key: &'static str,
    pub payload: &'static str,
    pub expect: Expect,
    /// Certificate mode: the `alipay_cert_sn` the answer names.
    pub cert_sn: Option<&'static str>,
}

/// From alipay/alipay-sdk-nodejs-all test/alipay.test.ts#L1353; alipay/alipay-sdk-nodejs-all test/alipay.test.ts#L1353 (inline notifyAlipayPublicKeyV1; differs from fixtures/alipay-notify-sign-public-key-v1.pem).
pub const KEY_1: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqObrdC7hrgAVM98tK0nv3hSQRGGKT4lBsQjHiGjeYZjOPIPHR5knm2jnnz/YGIXIofVHkA/tAlBAd5DrY7YpvI4tP5EONLtZKC2ghBMx7McI2wRD0xiqzxOQr1FuhZGJ8/AUokBzJrzY+aGX2xcOrxFYRlFilvVLTXg4LWjR1tdPkO6+i7wQZAIVMClPkwVRZEbaERRHlKqTzv2gGv5rDU8gRoe1LeaN+6BlbTqHWkQcNCUNrA8C6l17XAXGKDsm/9TFWwO8EPHHHCaQdjtV5/FdcWIt+L8SR1ss7EXTjYDFtxcKVv9rEoY1lX8T4mX+GbXfZHraG5NCF1+XioL5JwIDAQAB";

/// From yansongda/pay tests/Cert/alipayPublicCert.crt (first cert in the chain).
pub const KEY_2: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAl2PJhW04G1sClzEDwMw1nxCjlyDTubFhn89bcEzP7GB/mFWnfIRXydM2qvDALpJggjeCIc3Orm0AobZOltic1MGOBrFWcoOMyT7haV3X05jPa0qy6bMg5YJZy7/5mjTQL/3jPJM+TA3YTNV8wPUsJgWINENAGFIakS4HTj3oGIuPvbMgL1z7Yd66TIYzfA4FRwa08XXaZLC/u+EJ8tUedhQhPjwWQBL0H+bhoqWZSIW3/xdMZrMf8RF9uM22Y3mE1DAnxseXrxjW2Kg0q/47mOjXGBcrQUOeaAB+0SamdFu6LP9ylQOESg0bpFhgqhUWIT/QYJ1I8PQrVYy9QZkAIwIDAQAB";

/// From yige142/ceshiyong alipay_sd/config.php @ 2f0f91da3b77fb440d9b2448ea9f465df13d32f3 (alipay_public_key).
pub const KEY_3: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAp5NmVEHz9wirLDGc4bSOJp7rt/Ve7iiTJri5T4z/JVlh46MdjWj6GSdECaxkk27iA1y+igEtnMOVWu+ZSOUAlTA8+bWXj3FEU71GqwL+5O55R+FUea4GbV2q0gpNaxi1WknhKkxAaLbMSdd3ltyh8FnK8mfQ8HpTPFg+kx0jhBC836Cm6dVkpKauw3/DIeYXc1vG5NuImY58N7RLtjyr+AaYhbp/sj7fCk6puuhtwdU8rceCwSa8uLS0E5r40tRyiXjcjhwAUqM2Lsdshe+i+u/Fj/H+kkl/DyYUex+Rnp7cI+2qAJNvLgBU3yA1w/w51Fo8UCXSbt5KX2F/mOfnGQIDAQAB";

/// From alipay/alipay-sdk-nodejs-all test/fixtures/alipay-notify-sign-public-key-v2.pem.
pub const KEY_4: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAk6DCsBIUhWriFohzRV8Fic6oQWNnLKKILNk97VU5qcHEuxYzCujKoyva5gy1170mFJw4IcgJF8AyS7iDUwzAwF4Pp9CpWxDhUhe7mdQJhjBmvTcPLGFFrzlj6unO5lAcbdwaxPUtSxOaNxPJGrTK/wnKQSbjTMMltp1J68q2Tfgrsn/NdZ6lrxO9rvmky8kowqaH5NjntyHO59jCGabMj5sI14z8N61wB/QuIJrDuzIPMPrSNbq0cOWcSCDG09oUHTp9fk7suDB8UiFcmVTXOvK3d4HbeX8V9YsEMxrwxEoYgRRj6K2qrC6oxw480cqf2ueumCmHg6xrcgkyXK81hwIDAQAB";

/// From alipay/alipay-sdk-java-all src/test/resources/fixture/appCertPublicKey_2019091767145019.crt @ 9b90dcce54eed850078cd1bbac67d27bed424d56.
pub const KEY_5: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAjuWo0SEz7Oa6h927DFEL8d4BxhbVLX9iahEQXvURXZu3jF7FyzSneE8YTEzUhe6vscRl9zWOyr7tTaSFGg0RWxp0FkyxU9O1zdqK6IdY3+BSJJvi4z+GcBFBJS3UzuYRfGklHPSRYmxJSqNzHYGi+7TRwYVshkZe/8fzpDMF8+lF32oBPfSt9KJlvcKO2J5UxOrrTCZYh13z/WtmkbL4QRcEYaRc5CgZMGBReh9AjPCtaKABM23/42DHrS440x4lMuTVFij7UX9XaJY2CwQKqFTrbzeJDpJyOZSGs5VW6HbRM5JoXHbFzM0LULDmo/6Ea0hOdi4YhMNXFKGjWT7ThQIDAQAB";

/// From go-pay/gopay alipay/sign_test.go#L15 (inline alipayPublicKey).
pub const KEY_6: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAp8gueNlkbiDidz6FBQEBpqoRgH8h7JtsPtYW0nzAqy1MME4mFnDSMfSKlreUomS3a55gmBopL1eF4/Km/dEnaL5tCY9+24SKn1D4iyls+lvz/ZjvUjVwxoUYBh8kkcxMZSDeDz8//o+9qZTrICVP2a4sBB8T0XmU4gxfw8FsmtoomBH1nLk3AO7wgRN2a3+SRSAmxrhIGDmF1lljSlhY32eJpJ2TZQKaWNW+7yDBU/0Wt3kQVY84vr14yYagnSCiIfqyVFqePayRtmVJDr5qvSXr51tdqs2zKZCu+26X7JAF4BSsaq4gmY5DmDTm4TohCnBduI1+bPGD+igVmtl05wIDAQAB";

/// From alipay/alipay-sdk-nodejs-all test/fixtures/alipay-public-key.pem.
pub const KEY_7: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAk7LzhmMa2c4qQd4fqAqenfbuFoA7stPKvoS1LrZEsVnOOGUUjwoa1oU9xsSPjcOWhIerU/VAN4J95GIAXx59ipcleIyfLn2FhHXPgLJpvo+b2jJFyn/1/DbeJDh+0yDVAOf50Z7HhI0mdUhFMkXlT7BU0ZMtJf/TmISFEfhDU/w6qFd6D42L97byAkq0K6LroglSVF24GqJEa7hSeUIkZWj7RasykXrc2uVJ1+ejkXE0LyPxa2AHykMGbJLf5SiZvaNzUZgnKIR36mLOHpQ/2JCXxhXZYUWHzy0kMH54JcUEeksFWBYLGvLjV1phbcUIc3Q76tIuqApY6E222OoZZQIDAQAB";

/// From alipay/alipay-sdk-nodejs-all test/fixtures/alipay_stable_rsa2_public_key.pem (helper.ts STABLE_ALIPAY_PUBLIC_KEY).
pub const KEY_8: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAnaESDeU3bC5Vz03iwa8SlSVFoXkzf5ilLvTvS4j/GlcZwI/p/J7D32i6/1d/8ZZSxbb2fmVbScVP8CSZKRV7s+acumKlJHf5WV0nYgRJqjImI58AwsE37jYBjgKjVGyV9XOCMkS5vlKv4GSqITmHkIxT1fFhNvwrB1LUyaZfqOcE5ZiP/VOwAZFJsxh7+CGL+eNw6iSRH4OSSQq5M97uJPfzHrIMn7pG6J6Icsoi3aRX1HqxA9X+01D4OeDJhcTXTwVJxzGHunjKuU5+BKYNNGuY/WBr1BWF4gfvsIDJoGP1uhwHh5mKYM9t9CCh+9wRbERGRhvBGsg/gdVsdJlfFQIDAQAB";

/// From wandercn/alipay_sdk_rust README.md .alipay_public_key(...) in the example client.
pub const KEY_9: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAjRE7n0tuGp4e/3RwUnExLxU0JUDsbOOpFgGO/UJT2jidePGRN/GJlqMREfkyYh+JwAhs2ehEUG1j5wnKBIeqCHN8SixwQamyqkMypSJhCUIxfPGOkdD2Vj7n+/iVCFJvmUWBUN5OqD57x410mf1HXlcKegmyFVB1BzHkDLRm3y4+iBMYNsPkZNNZisbv/5etDodCLVQRS/2EiBSHLEjD85Vtm6gCkYieKRdIshyUMwiNr1dIJIJEhdrNt0hsEDkXAbeIRUN9j7OijoZ6Wr076i3+NBuci5wOC7bzLPbU56v2TmJ1yHPqFjAkHKMEesWPHDv7tKANUdsSV03fx1XI6QIDAQAB";

pub const VECTORS: &[Vector] = &[
    // alipay-production (verifies with sign+sign_type dropped)
    // Source: https://github.com/alipay/alipay-sdk-nodejs-all/blob/e1676390871eb7a69b4f81aa15de8327ac15738a/test/alipay.test.ts#L1364
    // Note: production trade_status_sync notify (app 2019073166072302); fund_bill_list given as JS
    // array in the test, serialised with JSON.stringify == the string Alipay sends; body re-
    // encoded as x-www-form-urlencoded
    Vector {
        id: "node-notify-yuque-prod",
        kind: Kind::Notify,
        key: KEY_1,
        payload: r#"gmt_create=2019-08-15+15%3A56%3A22&charset=utf-8&seller_email=z97-yuquerevenue%40service.aliyun.com&subject=%E8%AF%AD%E9%9B%80%E7%A9%BA%E9%97%B4+500%E4%BA%BA%E8%A7%84%E6%A8%A1&sign=QfTb8tqE1BMhS5qAnXtvsF3%2FjBkEvu9q9en0pdbBUDDjvKycZhQb7h8GDs4FKfi049PynaNuatxSgLb%2FnLWZpXyyh0LEWdK2S6Ri7nPwrVgOs08zugLO20vOQz44y3ti2Ncm8%2FwZts1Fr2gZ7pShnVX3d1B50hbsXnObT1r%2FU8ONNQjWXd0HIul4TG%2BQ3fm3svmSvFEy0WnzuhcyHPX5Gm4ELNctL6Qd5YniGJFNcc7kopHYtI%2FXD9YCKCH6Ct02rzUs9i11C9CsadtZn%2BWhxF26Dqt9sGEFajkJ8cxUTLi8%2BVCpLHsgPE8P0y095uQcDdK0YjCh4x7wVSov%2BlrmOQ%3D%3D&buyer_id=2088102534368455&invoice_amount=0.10&notify_id=2019081500222155624068450559358070&fund_bill_list=%5B%7B%22amount%22%3A%220.10%22%2C%22fundChannel%22%3A%22ALIPAYACCOUNT%22%7D%5D&notify_type=trade_status_sync&trade_status=TRADE_SUCCESS&receipt_amount=0.10&buyer_pay_amount=0.10&sign_type=RSA2&app_id=2019073166072302&seller_id=2088531891668739&gmt_payment=2019-08-15+15%3A56%3A24&notify_time=2019-08-15+15%3A56%3A25&version=1.0&out_trade_no=20190815155618536-564-57&total_amount=0.10&trade_no=2019081522001468450512505578&auth_app_id=2019073166072302&buyer_logon_id=xud%2A%2A%2A%40126.com&point_amount=0.00"#,
        expect: Expect::Valid(Rule::Documented),
        cert_sn: None,
    },
    // alipay-sandbox (cert mode) (verifies with sign+sign_type dropped)
    // Source: https://github.com/yansongda/pay/blob/45f1b1feac77b30905af3dfc1da00dd047d2b08f/tests/Plugin/Alipay/V2/CallbackPluginTest.php#L25
    // Note: real page.pay return URL, byte-exact
    Vector {
        id: "ysd-return-sandbox",
        kind: Kind::Return,
        key: KEY_2,
        payload: r#"http://127.0.0.1:8000/alipay/verify?charset=utf-8&out_trade_no=1703141270&method=alipay.trade.page.pay.return&total_amount=0.01&sign=RJzbs5y7I41BO9UPnCdq7oWgoInyjELi9Qj6D%2BLAZXVpHTedemAHfVUowuF9iuznGZLxU6Xv1L3ZkzTGxmIfvzontCZNb0%2BRROqiT41lX91VYd6j4ZcOn8zsvlCdQSVHmYNJi%2Bw%2F40uHxo1ufRwHxBNtQKsoJCYk5VtZ92pQFvVyE5wPPT6Nolww5WlCAPxcWNby8VAiWT%2Bd2yxmFm8vZ6yj5rsLHTR72O76TkEXzOEex6e36Zf8M9YXww7RQbflMfk9eURPHW%2FoQq4hZr%2FlX7%2FO1nT5vdT4UVFai4V18Xm1KspBun8outJxqlWMIKVxGsYhIH1E79ORt4wQA7PG1g%3D%3D&trade_no=2023122122001499160501586202&auth_app_id=9021000122682882&version=1.0&app_id=9021000122682882&sign_type=RSA2&seller_id=2088721003899159&timestamp=2023-12-21+14%3A48%3A44"#,
        expect: Expect::Valid(Rule::Documented),
        cert_sn: None,
    },
    // alipay-sandbox (cert mode) (verifies with sign+sign_type dropped)
    // Source: https://github.com/yansongda/pay/blob/45f1b1feac77b30905af3dfc1da00dd047d2b08f/tests/Plugin/Alipay/V2/CallbackPluginTest.php#L55
    // Note: subject 'yansongda+测试 - 1' has a literal '+' and spaces: body is re-encoded from the
    // PHP array, so '+' -> %2B and ' ' -> '+'
    Vector {
        id: "ysd-notify-sandbox-plus-in-subject",
        kind: Kind::Notify,
        key: KEY_2,
        payload: r#"gmt_create=2023-12-21+16%3A26%3A32&charset=utf-8&gmt_payment=2023-12-21+16%3A26%3A43&notify_time=2023-12-21+16%3A26%3A45&subject=yansongda%2B%E6%B5%8B%E8%AF%95+-+1&sign=Rs7SszD15WqbdJsGZPN%2BHpCBcQzBCkJx0ccNeg1rpUxyTVA1ps2vJ4sLhaa7O%2BlliTj6N1MSGqc8cK6JSs7nPg731RAOfneirtrqrlW2u0m15kWAKrVjgPGLUMtK%2FeT15e%2F6NcxsWra%2FbsZaan%2BnFDzO8xceOwy96W%2BqVUtTPfBRBp9Zjryi5oIONOifGMALD284YbNC3qq2eyqVysF%2Bzgk%2B%2FMtuHk2Eh%2FfL7UbClHQXQ2hD686Dt8bR949TNMbkWCYXstmjVBO55qF8xhaoF%2Fb5zAe5%2FO%2F13g%2FQlwDXBcF3XwJpbFWrBehoFFCnJhR%2FxXZ0E%2BD2Vsw1oAQ3l%2BR2dQ%3D%3D&buyer_id=2088722003899169&invoice_amount=0.01&version=1.0&notify_id=2023122101222162644199160501632046&fund_bill_list=%5B%7B%22amount%22%3A%220.01%22%2C%22fundChannel%22%3A%22ALIPAYACCOUNT%22%7D%5D&notify_type=trade_status_sync&out_trade_no=1703147160&total_amount=0.01&trade_status=TRADE_SUCCESS&trade_no=2023122122001499160501589436&auth_app_id=9021000122682882&receipt_amount=0.01&point_amount=0.00&app_id=9021000122682882&buyer_pay_amount=0.01&sign_type=RSA2&seller_id=2088721003899159"#,
        expect: Expect::Valid(Rule::Documented),
        cert_sn: None,
    },
    // alipay-sandbox (old sandbox, 2020) (verifies with sign+sign_type dropped)
    // Source: https://github.com/yige142/ceshiyong/blob/bdde7378783373bf867d353674c4bee5b28d711b/alipay_sd/notify_url.php
    // Note: RECONSTRUCTED form body from the hard-coded JSON ($arr); Chinese subject/body
    Vector {
        id: "php-demo-notify-sandbox-2020",
        kind: Kind::Notify,
        key: KEY_3,
        payload: r#"gmt_create=2020-08-28+09%3A47%3A34&charset=UTF-8&gmt_payment=2020-08-28+09%3A47%3A46&notify_time=2020-08-28+09%3A47%3A46&subject=%E5%85%A5%E5%8F%A3&sign=R1v8pVPFahaYAsVshHP61sPln5BYwv3quIBOmXTglCQB%2FdjqAxUQo6H5mw2GGTz72xQI6a8zcKDiaSUYZMmRCqzTV8URADrbBk0BiFmkozVvlcNe8yUhnGwMXqmegrb6sWyWev7lA4CFgr5c%2FqPcLEGtOsPHfP4UDTB1CTmWH80WfFKkOc%2FP6JIEYXG9KlI0rP8rdkebBAwZjbmJAqHIgc6z9s4G%2B6IVjB%2ByWbuSs%2FrOroufx5OBwP051c01YnzhV%2BrWaOdRAId%2B28Kxi4hvce8k03FOchXE7Tw46T5VHtjJ6KDFyzWebVJko%2BTrtbTY5KsNhO395ELbpnJvwls5Kw%3D%3D&buyer_id=2088102170188767&body=%E6%93%A6%E6%93%A6%E6%93%A6&invoice_amount=0.02&version=1.0&notify_id=2020082800222094746088760513048218&fund_bill_list=%5B%7B%22amount%22%3A%220.02%22%2C%22fundChannel%22%3A%22ALIPAYACCOUNT%22%7D%5D&notify_type=trade_status_sync&out_trade_no=202082894555850&total_amount=0.02&trade_status=TRADE_SUCCESS&trade_no=2020082822001488760504780162&auth_app_id=2016073100136265&receipt_amount=0.02&point_amount=0.00&app_id=2016073100136265&buyer_pay_amount=0.02&sign_type=RSA2&seller_id=2088102169356454"#,
        expect: Expect::Valid(Rule::Documented),
        cert_sn: None,
    },
    // alipay-production (does NOT verify with sign_type dropped; verifies ONLY with sign_type kept (rsaCheckV2 style))
    // Source: https://github.com/alipay/alipay-sdk-nodejs-all/blob/e1676390871eb7a69b4f81aa15de8327ac15738a/test/alipay.test.ts#L1483
    // Note: servicemarket_order_notify: Alipay signed it WITH sign_type in the string (SDK
    // describe 'verify sign should not delete sign_type'); invalid under the drop-sign_type rule
    Vector {
        id: "node-notify-servicemarket-prod",
        kind: Kind::Notify,
        key: KEY_4,
        payload: r#"app_id=2017122801303261&charset=UTF-8&commodity_order_id=2019030800000018079639&contactor=%E6%8A%80%E6%9C%AF%E6%94%AF%E6%8C%81%E6%B5%8B%E8%AF%95%E7%9A%84%E5%85%AC%E5%8F%B8&merchant_pid=2088721996721370&method=alipay.open.servicemarket.order.notify&name=%E6%8A%80%E6%9C%AF%E6%94%AF%E6%8C%81%E6%B5%8B%E8%AF%95%E7%9A%84%E5%85%AC%E5%8F%B8&notify_id=2019030800222102023008121054923345&notify_time=2019-03-08+10%3A20%3A23&notify_type=servicemarket_order_notify&order_item_num=1&order_ticket=29b1c37d99ab48c5bd5bdaeaeaefbB37&order_time=2019-03-08+10%3A20%3A08&phone=17826894615&service_code=58621634&sign=MsK5SCw8oqLw4f0hiNSd5OVGXxBY3wnQeT8vn5PklJSZFWSZbK4hQbNvkp4ZezeXQH514cEv0ul6Qow8yh6e6yM06LfEL%2BEZjcpZ0nxzFGRNQ5qq2AUc1OaXQdk92AGvxh%2BIq4NGpPQFBd4D8EBJa3NJd8%2BczMfQskceosOQFqUtLQMYa5DPs%2BVpN7VM5BdXjaVIuKn5d9Wm2B9dI9ObIM%2BYRySDkZZPv14DVmUvcrcqJfOR8aHvtSd7B4l92wUQPQgQKNcOQho7xOHS%2FBk%2BY74AZL2y7TkNmdDoq9OGsThuF5tDW9rI9nVwXxOtsuB%2Bbstra%2BW7aw9x9DvkKgdSRw%3D%3D&sign_type=RSA2&timestamp=2019-03-08+10%3A20%3A23&title=%E9%BA%A6%E7%A6%BE%E5%95%86%E5%9F%8E%E6%A8%A1%E7%89%88&total_price=0.00&version=1.0"#,
        expect: Expect::Valid(Rule::SignTypeKept),
        cert_sn: None,
    },
    // alipay-sandbox (old sandbox, 2020) (does NOT verify with sign_type dropped; verifies ONLY with sign_type kept (rsaCheckV2 style))
    // Source: https://github.com/yige142/ceshiyong/blob/bdde7378783373bf867d353674c4bee5b28d711b/alipay_sd/return_url.php
    // Note: RECONSTRUCTED query string from the JSON the author hard-coded (\/ unescaped).
    // Verifies ONLY with sign_type kept; the demo's rsaCheckV1 drops it, which is presumably why
    // the author pasted it in to debug
    Vector {
        id: "php-demo-return-sandbox-2020-signtype-signed",
        kind: Kind::Return,
        key: KEY_3,
        payload: r#"http://www.yige142.cn/alipay_sd/return_url.php?charset=UTF-8&out_trade_no=202082810289298&method=alipay.trade.page.pay.return&total_amount=0.23&sign=ktvaavZ3%2FxldCwCauZ6%2Fc9t7%2FfDl2%2BDeMLRWd3HdNLMdkkaGRhYjHXv0ACpeA5FGv5jCUgHIu67x8BNYsYyg1ffBrSYYvsoABBqHHtLKXdnwSW4OSHLpBRJ1YZMgxrlQcn3THC8N3SrQ3LtcZOC0NDISlXndHvrglYeYTk1oAj0OuYQp9aeLpVcw%2FyTV1TjAv59N1WOn4fXqnLDSiwcEb2VCDjwhUmLXxaxVm0rxv0jm1NTuT28U7qHFHxMJNcqtGL4SBy09Ht1Cs0bVJhum0kTq7u7IBnr3MCh5sDtj4JrWtNx3KGTpEZA%2Bt%2FuOcNains4xXwgtgAyoZHGemPmsyQ%3D%3D&trade_no=2020082822001488760504779166&auth_app_id=2016073100136265&version=1.0&app_id=2016073100136265&sign_type=RSA2&seller_id=2088102169356454&timestamp=2020-08-28+10%3A29%3A39"#,
        expect: Expect::Valid(Rule::SignTypeKept),
        cert_sn: None,
    },
    // merchant test key (not Alipay): app cert appCertPublicKey_2019091767145019.crt (does NOT verify with sign_type dropped; verifies ONLY with sign_type kept (rsaCheckV2 style))
    // Source: https://github.com/alipay/alipay-sdk-java-all/blob/078e14a8a66aae328f6871b6db79e78e721187a3/src/test/java/com/alipay/api/RSACheckTest.java#L28
    // Note: SDK fixture for rsaCheckV2 (sign_type IS part of the signed string); not a real
    // notify. RSA = SHA1withRSA
    Vector {
        id: "java-sdk-rsacheckv2-RSA",
        kind: Kind::Notify,
        key: KEY_5,
        payload: r#"method=koubei.marketing.data.indicator.query&app_id=2019090366875133&sign_type=RSA&sign=RkEZgdCVF4TF48%2BtVZlPLEUMgrOoff3TGynWtXRUmzMXxmsCX8Y9YtpZE%2BNNg%2FJGpYQ5htTDd8PXVqiG5fqvzE2g4ugDutr%2B%2BBeQ2eJQ1uhasp6VIPTSAPWHRD7FSXqZfOoWvxeFHF9WGnzXw5eueOdGMZYXdjhR6srj%2BZAeJxyR402FVNbRuI%2FhDZVq27xWi4CQ2ffdV0lf7E2V%2FHMUPXECbIKkTnLXrwJBmsLgTGbTDGf7pGo0y0rkRvdsg9BmPPswfTeq%2Fo2rlxD0XxrK1MPZ4uSPFhpdWVEyNchtXEfKoVsaYeVXV3cMfZi9zcKc6RCE8ezF9LxRJp1R0BxKEg%3D%3D"#,
        expect: Expect::Valid(Rule::SignTypeKept),
        cert_sn: None,
    },
    // alipay-production, then tampered by SDK authors (service_code) (does not verify (neither rule))
    // Source: https://github.com/alipay/alipay-sdk-nodejs-all/blob/e1676390871eb7a69b4f81aa15de8327ac15738a/test/alipay.test.ts#L1540
    // Note: test 'verify fail'
    Vector {
        id: "node-notify-servicemarket-tampered",
        kind: Kind::Notify,
        key: KEY_4,
        payload: r#"app_id=2017122801303261&charset=UTF-8&commodity_order_id=2019030800000018079639&contactor=%E6%8A%80%E6%9C%AF%E6%94%AF%E6%8C%81%E6%B5%8B%E8%AF%95%E7%9A%84%E5%85%AC%E5%8F%B8&merchant_pid=2088721996721370&method=alipay.open.servicemarket.order.notify&name=%E6%8A%80%E6%9C%AF%E6%94%AF%E6%8C%81%E6%B5%8B%E8%AF%95%E7%9A%84%E5%85%AC%E5%8F%B8&notify_id=2019030800222102023008121054923345&notify_time=2019-03-08+10%3A20%3A23&notify_type=servicemarket_order_notify&order_item_num=1&order_ticket=29b1c37d99ab48c5bd5bdaeaeaefbB37&order_time=2019-03-08+10%3A20%3A08&phone=17826894615&service_code=58621634111&sign=MsK5SCw8oqLw4f0hiNSd5OVGXxBY3wnQeT8vn5PklJSZFWSZbK4hQbNvkp4ZezeXQH514cEv0ul6Qow8yh6e6yM06LfEL%2BEZjcpZ0nxzFGRNQ5qq2AUc1OaXQdk92AGvxh%2BIq4NGpPQFBd4D8EBJa3NJd8%2BczMfQskceosOQFqUtLQMYa5DPs%2BVpN7VM5BdXjaVIuKn5d9Wm2B9dI9ObIM%2BYRySDkZZPv14DVmUvcrcqJfOR8aHvtSd7B4l92wUQPQgQKNcOQho7xOHS%2FBk%2BY74AZL2y7TkNmdDoq9OGsThuF5tDW9rI9nVwXxOtsuB%2Bbstra%2BW7aw9x9DvkKgdSRw%3D%3D&sign_type=RSA2&timestamp=2019-03-08+10%3A20%3A23&title=%E9%BA%A6%E7%A6%BE%E5%95%86%E5%9F%8E%E6%A8%A1%E7%89%88&total_price=0.00&version=1.0"#,
        expect: Expect::Invalid("signature_mismatch"),
        cert_sn: None,
    },
    // alipay-production (does not verify (neither rule))
    // Source: https://github.com/alipay/alipay-sdk-nodejs-all/blob/e1676390871eb7a69b4f81aa15de8327ac15738a/test/alipay.test.ts#L1512
    // Note: same notify without sign_type; node SDK passes it only because it re-adds
    // sign_type=RSA2 before verifying
    Vector {
        id: "node-notify-servicemarket-prod-no-sign_type",
        kind: Kind::Notify,
        key: KEY_4,
        payload: r#"app_id=2017122801303261&charset=UTF-8&commodity_order_id=2019030800000018079639&contactor=%E6%8A%80%E6%9C%AF%E6%94%AF%E6%8C%81%E6%B5%8B%E8%AF%95%E7%9A%84%E5%85%AC%E5%8F%B8&merchant_pid=2088721996721370&method=alipay.open.servicemarket.order.notify&name=%E6%8A%80%E6%9C%AF%E6%94%AF%E6%8C%81%E6%B5%8B%E8%AF%95%E7%9A%84%E5%85%AC%E5%8F%B8&notify_id=2019030800222102023008121054923345&notify_time=2019-03-08+10%3A20%3A23&notify_type=servicemarket_order_notify&order_item_num=1&order_ticket=29b1c37d99ab48c5bd5bdaeaeaefbB37&order_time=2019-03-08+10%3A20%3A08&phone=17826894615&service_code=58621634&sign=MsK5SCw8oqLw4f0hiNSd5OVGXxBY3wnQeT8vn5PklJSZFWSZbK4hQbNvkp4ZezeXQH514cEv0ul6Qow8yh6e6yM06LfEL%2BEZjcpZ0nxzFGRNQ5qq2AUc1OaXQdk92AGvxh%2BIq4NGpPQFBd4D8EBJa3NJd8%2BczMfQskceosOQFqUtLQMYa5DPs%2BVpN7VM5BdXjaVIuKn5d9Wm2B9dI9ObIM%2BYRySDkZZPv14DVmUvcrcqJfOR8aHvtSd7B4l92wUQPQgQKNcOQho7xOHS%2FBk%2BY74AZL2y7TkNmdDoq9OGsThuF5tDW9rI9nVwXxOtsuB%2Bbstra%2BW7aw9x9DvkKgdSRw%3D%3D&timestamp=2019-03-08+10%3A20%3A23&title=%E9%BA%A6%E7%A6%BE%E5%95%86%E5%9F%8E%E6%A8%A1%E7%89%88&total_price=0.00&version=1.0"#,
        expect: Expect::Invalid("signature_mismatch"),
        cert_sn: None,
    },
    // alipay-sandbox + framework param (does not verify (neither rule))
    // Source: https://github.com/yansongda/pay/blob/45f1b1feac77b30905af3dfc1da00dd047d2b08f/tests/Plugin/Alipay/V2/CallbackPluginTest.php#L40
    // Note: same return URL with an extra _config=default query param (a framework/router param
    // leaking into the signed set)
    Vector {
        id: "ysd-return-sandbox-extra-param",
        kind: Kind::Return,
        key: KEY_2,
        payload: r#"http://127.0.0.1:8000/alipay/verify?_config=default&charset=utf-8&out_trade_no=1703141270&method=alipay.trade.page.pay.return&total_amount=0.01&sign=RJzbs5y7I41BO9UPnCdq7oWgoInyjELi9Qj6D%2BLAZXVpHTedemAHfVUowuF9iuznGZLxU6Xv1L3ZkzTGxmIfvzontCZNb0%2BRROqiT41lX91VYd6j4ZcOn8zsvlCdQSVHmYNJi%2Bw%2F40uHxo1ufRwHxBNtQKsoJCYk5VtZ92pQFvVyE5wPPT6Nolww5WlCAPxcWNby8VAiWT%2Bd2yxmFm8vZ6yj5rsLHTR72O76TkEXzOEex6e36Zf8M9YXww7RQbflMfk9eURPHW%2FoQq4hZr%2FlX7%2FO1nT5vdT4UVFai4V18Xm1KspBun8outJxqlWMIKVxGsYhIH1E79ORt4wQA7PG1g%3D%3D&trade_no=2023122122001499160501586202&auth_app_id=9021000122682882&version=1.0&app_id=9021000122682882&sign_type=RSA2&seller_id=2088721003899159&timestamp=2023-12-21+14%3A48%3A44"#,
        expect: Expect::Invalid("signature_mismatch"),
        cert_sn: None,
    },
    // alipay-production (key not published) (does not verify (neither rule))
    // Source: https://github.com/alipay/alipay-sdk-nodejs-all/blob/e1676390871eb7a69b4f81aa15de8327ac15738a/test/alipay.test.ts#L1429
    // Note: test 'verify fail': genuine-looking notify of app 2018121762595097 checked against
    // another app's key
    Vector {
        id: "node-notify-tpxy-otherkey",
        kind: Kind::Notify,
        key: KEY_1,
        payload: r#"app_id=2018121762595097&auth_app_id=2018121762595097&buyer_id=2088512613526436&buyer_logon_id=152%2A%2A%2A%2A6706&buyer_pay_amount=0.01&charset=utf-8&fund_bill_list=%5B%7B%22amount%22%3A%220.01%22%2C%22fundChannel%22%3A%22PCREDIT%22%7D%5D&gmt_create=2019-05-23+14%3A13%3A56&gmt_payment=2019-05-23+14%3A17%3A13&invoice_amount=0.01&notify_id=2019052300222141714026431019971405&notify_time=2019-05-23+14%3A17%3A14&notify_type=trade_status_sync&out_trade_no=tpxy23962362669658&point_amount=0.00&receipt_amount=0.01&seller_email=myapp%40alitest.com&seller_id=2088331578818800&sign=T946S2qyNFAXLhAaRgNMmatxH6SO3MyWYFnTamQOgW1iAcheL%2FZz%2BVoizwvEc6mTEwYewvvKS1wNkMQ1oEajMUHv9%2BcXQ9IFvU%2FqKS9Ktvw5xHvCaK0fj7LsVcQ7VxfyT3kSvXUDfKDP4cHSPuSZKwM2ybkzr53bIH9OUTpTQd2d3J0rbdf76OoUt%2BXF9vwqj7OVE7AGjH2HPWp842DgL%2FYVy4qeA9N2uFKRevT3YUskjaRxuI%2FE66reNjTMFhbjEqGLKvMcDD4BaQXnibq9ojAj60589fBwzKk3yWsVQmqGfksMQoheVMtZ3lAw4o2ty3TFngbVFFLwgx8FDpBZ9Q%3D%3D&sign_type=RSA2&subject=tpxy2222896485&total_amount=0.01&trade_no=111111112019052322001426431037869358&trade_status=TRADE_SUCCESS&version=1.0"#,
        expect: Expect::Invalid("signature_mismatch"),
        cert_sn: None,
    },
    // alipay-sandbox (2019) (verifies over raw alipay_trade_query_response text)
    // Source: https://github.com/go-pay/gopay/blob/68245f430d6b5dfce6aa3117233611ada90f404f/alipay/sign_test.go#L13
    // Note: RECONSTRUCTED wrapper: the test holds the exact signed content (signData) + sign;
    // wrapped as {"alipay_trade_query_response":<signData>,"sign":...}
    Vector {
        id: "gopay-response-trade-query-sandbox",
        kind: Kind::Response,
        key: KEY_6,
        payload: r#"{"alipay_trade_query_response":{"code":"10000","msg":"Success","buyer_logon_id":"854***@qq.com","buyer_pay_amount":"0.01","buyer_user_id":"2088102363632794","fund_bill_list":[{"amount":"0.01","fund_channel":"PCREDIT"}],"gmt_payment":"2019-08-29 20:14:05","invoice_amount":"0.01","out_trade_no":"GZ201901301040361012","point_amount":"0.00","receipt_amount":"0.01","total_amount":"0.01","trade_no":"2019082922001432790585537960"},"sign":"bk3SzX0CZRI811IJioS2XKQHcgMixUT8mYyGQj+vcOAQas7GIYi6LpykqqSc3m7+yvqoG0TdX/c2JjYnpw/J53JxtC2IC4vsLuIPIgghVo5qafsfSxEJ22w20RZDatI2dYqFVcj8Jp+4aesQ8zMMNw7cX9NLyk7kw3DecYeyQp+zrZMueZPqLh88Z+54G+e6QuSU++0ouqQVd4PkpPqy6YI+8MdMUX4Ve0jOQxMmYH8BC6n5ZsTH/uEaLEtzYVZdSw/xdSQ7K1SH73aEH8XbRYx6rL7RkKksrdvhezX+ThDjQ+fTWjvNFrGcg3fmqXRy2elvoalu+BQmqlkWWjEJYA=="}"#,
        expect: Expect::Valid(Rule::Response),
        cert_sn: None,
    },
    // alipay-sandbox (verifies over raw alipay_open_file_upload_response text)
    // Source: https://github.com/alipay/alipay-sdk-nodejs-all/blob/e1676390871eb7a69b4f81aa15de8327ac15738a/test/alipay.test.ts#L1319
    // Note: comment: '从实测中获取' (taken from a real call); raw text exactly as in the test
    Vector {
        id: "node-response-open-file-upload-sandbox",
        kind: Kind::Response,
        key: KEY_7,
        payload: r#"{"alipay_open_file_upload_response":{"code":"10000","msg":"Success","file_id":"CAxAToWB1JsAAAAAAAAAAAAADgSLAQBr"},"sign":"F+LDzpTNiavn7xVZPGuPCSSVRSmWzJGgtuji6tVELGEaqMaNj0jRKXUEr5nloZJBBmwEnddOyCjjepMmrTKTvoOqQ0Efxpr/R1iEeHTHVbb/Q8TTh6Up5gHJDkILdaWS2q1cWeQ6VT+HQY9P3WRXS7uhILHuDODIhpAyCu5KhWGt0rMCIG+Im6NODJP2oohtSCtmTFXg58HH587Z2y2bdbjzOxLvzD9IrU1imghXQ2S/Q+wMIvRk9on6cWnBLkrNvJKapA2ReNGWOwyuASvB9zDVzhMPbR+3mfRGkVDxsq5HYLjBKGskJMXHw0HuugZij6ScRuaLPODhmHwr/pJ9yw=="}"#,
        expect: Expect::Valid(Rule::Response),
        cert_sn: None,
    },
    // alipay-stable (dev) env (verifies over raw alipay_security_risk_content_analyze_response text)
    // Source: https://github.com/alipay/alipay-sdk-nodejs-all/blob/e1676390871eb7a69b4f81aa15de8327ac15738a/test/alipay.exec.test.ts#L128
    // Note: business-failure response (code 40003, Chinese sub_msg) that is still signed; copied
    // from a comment
    Vector {
        id: "node-response-risk-analyze-stable-40003",
        kind: Kind::Response,
        key: KEY_8,
        payload: r#"{"alipay_security_risk_content_analyze_response":{"code":"40003","msg":"Insufficient Conditions","sub_code":"isv.decryption-error-unknown","sub_msg":"解密出错, 未知错误"},"sign":"fpPCfGS+MLqJzK0Q/W61pNMXMLBogtCxyl0ZiEtOzTKWZBC7hiXe9AGOML0hoXQkJshlRgz8dUPvQNapuZff5TNu16/Va/4bnwLW1V1Og7KaAYlD9jbQPFLJv+YFM3SAXmylLVMatKMbEy2Cb3vn6FVpDrqTspUjhcPH7ACUirIcriFR+FhT9yGypLeOm2wYto0t59H5k5FlcsepdUReBcXP0UbglwjUOHh9TX3/VNQk3s6zoxhUC4ep570gmycEHwg4H1lSJky8M/FADUBr3gd8rynz3S+CbfPaOJoGKraeSzR2iA1bIu1fUN7GjI1wZjR8PfiQI2joNn+Z9OxUgw=="}"#,
        expect: Expect::Valid(Rule::Response),
        cert_sn: None,
    },
    // alipay-sandbox (2024, new sandbox) (verifies over raw alipay_trade_create_response text)
    // Source: https://github.com/wandercn/alipay_sdk_rust/blob/d586565f4c8867d764f45245eef9f07b7560b216/README.md#L78
    // Note: RECONSTRUCTED: the doc prints a re-serialised struct with key order
    // code,msg,trade_no,out_trade_no; only the original Alipay order
    // code,msg,out_trade_no,trade_no verifies
    Vector {
        id: "rust-response-trade-create-sandbox-a",
        kind: Kind::Response,
        key: KEY_9,
        payload: r#"{"alipay_trade_create_response":{"code":"10000","msg":"Success","out_trade_no":"1720422500728049000","trade_no":"2024070822001497370503225329"},"alipay_cert_sn":"71d5f5ab5fa06fcad86b56c0c5888217","sign":"d37IteN0GyXM68+bD0jyV+RwD4M+f+PqT/Ax+Dv5+HnTXqLVSWAB1gbbiEG1lluB66RoTdw5Uw2yjNf+6v4UZ42PlzL1dAeOz9/hkWuulZD+qvrKPPtSKle5WSxhv0IpKA6d0D2KWGAtRa0Egq1t1t7m6tKSQNwlDIMJMwKAQNR+RZPisD8r6utSKTZt+5DFY+eDlBFMgyeCVFX26JLyVLuuAOnLnLMuLAS5a4G+nYKY80jBgaX/qZApq8VCJT1XH48XEU9GElXaB3oc1OleTZJnBeB6RSnG2HMpashOpvmWv09Sg8P+BcS1i/Q2QJoIAVbWy57FJpGJ3cHxdMOfNQ=="}"#,
        expect: Expect::Valid(Rule::Response),
        cert_sn: Some("71d5f5ab5fa06fcad86b56c0c5888217"),
    },
    // alipay-sandbox, re-serialised by the SDK (does not verify over raw alipay_trade_create_response text)
    // Source: https://github.com/wandercn/alipay_sdk_rust/blob/d586565f4c8867d764f45245eef9f07b7560b216/README.md#L78
    // Note: field order exactly as printed in the doc (code,msg,trade_no,out_trade_no): same data,
    // different bytes -> must fail
    Vector {
        id: "rust-response-trade-create-reordered",
        kind: Kind::Response,
        key: KEY_9,
        payload: r#"{"alipay_trade_create_response":{"code":"10000","msg":"Success","trade_no":"2024070822001497370503225329","out_trade_no":"1720422500728049000"},"alipay_cert_sn":"71d5f5ab5fa06fcad86b56c0c5888217","sign":"d37IteN0GyXM68+bD0jyV+RwD4M+f+PqT/Ax+Dv5+HnTXqLVSWAB1gbbiEG1lluB66RoTdw5Uw2yjNf+6v4UZ42PlzL1dAeOz9/hkWuulZD+qvrKPPtSKle5WSxhv0IpKA6d0D2KWGAtRa0Egq1t1t7m6tKSQNwlDIMJMwKAQNR+RZPisD8r6utSKTZt+5DFY+eDlBFMgyeCVFX26JLyVLuuAOnLnLMuLAS5a4G+nYKY80jBgaX/qZApq8VCJT1XH48XEU9GElXaB3oc1OleTZJnBeB6RSnG2HMpashOpvmWv09Sg8P+BcS1i/Q2QJoIAVbWy57FJpGJ3cHxdMOfNQ=="}"#,
        expect: Expect::Invalid("signature_mismatch"),
        cert_sn: Some("71d5f5ab5fa06fcad86b56c0c5888217"),
    },
    // corrupted (does not verify over raw alipay_fund_trans_uni_transfer_response text)
    // Source: https://github.com/yansongda/pay/blob/45f1b1feac77b30905af3dfc1da00dd047d2b08f/tests/Plugin/Alipay/V2/VerifySignaturePluginTest.php#L50
    // Note: testSignWrong: sign prefixed with 'A' (345 chars, not valid base64 length)
    Vector {
        id: "ysd-response-fund-transfer-bad-base64",
        kind: Kind::Response,
        key: KEY_2,
        payload: r#"{"alipay_fund_trans_uni_transfer_response":{"code":"10000","msg":"Success","order_id":"20231220110070000002150000657610","out_biz_no":"2023122022560000","pay_date":"2023-12-20 22:56:33","pay_fund_order_id":"20231220110070001502150000660902","status":"SUCCESS","trans_amount":"0.01"},"sign":"AeITxP5fZiJPB2+vZb90IRkv2iARxeNx/6Omxk7FStqflhG5lMoCvGjo2FZ6Szo1bGBMBReazZuqLaqsgomWAUO9onMVurB3enLbRvwUlpE7XEZaxk/sJYjgc2Y7pIAenvnLL9PEAiXmvUvuinUlvS9J2r1XysC0p/2wu7kEJ/GgZpFDIIYY9mdM6U1rGbi+RvirQXtQHmaEuuJWLA75NR1bvfG3L8znzW9xz1kOQqOWsQmD/bF1CDWbozNLwLCUmClRJz0Fj4mUYRF0zbW2VP8ZgHu1YvVKJ2+dWC9b+0o94URk7psIpc5NjiOM9Jsn6aoC2CfrJ/sqFMRCkYWzw6A=="}"#,
        expect: Expect::Invalid("bad_base64"),
        cert_sn: None,
    },
];
