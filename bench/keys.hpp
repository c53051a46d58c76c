// SPDX-License-Identifier: MIT
// Fixed benchmark-only keys (generated once with `openssl genpkey`; they protect nothing), shared
// by every implementation so that all of them sign and verify the very same tokens.
#pragma once

namespace bench::keys {

inline constexpr char rsa_private_pem[] = R"PEM(-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQCmakpTHBV6qzNl
dxCZnDOl9Px0Ah16wUAXMH7VkW1ZfzMj1TPArP2CwwsEpGatp84O3SSnp4gD9rBc
WhzmeyPa7bYF4DzPNJ6LMGYHt2FS3LhjgSjLoxTFCNuDPxAfOWBKTt6zz6olpX1G
TShvm3Wh+iXogLReRdRw7OfWAD+UeXBwifngc76yDd5jP7rwa2VRsDOM4qPQF63T
qu2HKTUJ6hGkKZ1r/+eh7XBJmsZ7A2tXouYvbRDcKsPgo17rj9OiDTT+6+ARBpVD
RNXVyaN2z9Uh7KrgxsbcDy+Kdvm5PpkuXeDOX1N5SYfIWMZYQM7J2f+hFUS0dKQa
e8iYRDNpAgMBAAECggEAAxFjxcmqjhr74chiv1vSClXMfA/R67Wf8Q2AbEvrDSkh
wzmNMH8mVhoyzzOzGBgUEQTiRej6KMCMGpfBGQqqHye37fHNWf1cjH2O7ZN9StUt
qdmNHy8mSEYHVF5KqMvnZFdOsCS8iUcjJ4AJDJp8F6/Dfr7PFHHX62EJGriuDPzZ
TGZ+kS5Sha5fwGTncMqTloLnXWUXg6htnrpeEYMK/R/3BROCxACps4rvKjNC2G4F
7Ed6gwz3SmwDiKRd/ccx2ICPB0dGD3wIi1tTv3bGF9tXXf3H9gelXKULDK2KQIfN
rAruMkGG17QA17pCufzEIqIAhYrNyNK1fTSaZNfsVQKBgQDkliNwfIxaOb4o2Lkq
fptWEaXlUvGmRFMe8A6CKmp8U+PWM9Y5kC7RxDug99swT7Vu4k17KDlvvJKmNxIJ
BxrRifRcdOd/zuQwJLsrow+tIrjIm1sJLwg6o6bO0pckETNq7JlCSw9Tr/ey3M0G
pY/hxoYszaJwMkVO/t+/f7HOMwKBgQC6X2x58vMxneEj8K9dsvFUecficMProY/T
FUeUyk7+g08MONOSaDS7+6XLWYpPFWGTC3mx2vGIlvLFFRlxk4UQZaVs5LmND03o
/7bmwcQDwWpmS2viO3foKM/XutfMO9fci0qxKWeVExakdJJOSWgjbObsj4ire1em
1DoaKgGj8wKBgAX3wX8bUVK9tTA90D/CxG1v0oP1MWfk2sKxA7/0OYl7azRZcBta
n05MsD3YmrldK2B0ug8gErfPFYkPYQIpVFLqJh4P00dr8FstalGOVUdw46AhJjRM
LQvS3/UAXH/NjykYejvX19OYgYAC8btdsS70zuX2jGofdd3FG7RVMiAvAoGBAI1z
FxWHOuSReuqYJcDrqxX+R6KpC0mvGUWPhQB8e2/XoQsZphocVMnHuJGZp8tV4vSD
ZR2DmoWcay0BUopM+FT1kJQRFHLnBq6sRdjlfyuKhIKXA450rBDbyMNm35n2YWLV
pR7I2gDet/ShNNmOBSe945Xvaj8cIe5QbLim4Q/ZAoGBAOEg+RxmgIwec3uyh7Vq
lo2dyE2oGdSwC2et6v55iuoFc9jHBZ8f9GxxtIJ6/enQEb/vVBGn6pX6+1Lpcdgr
A2QGW6yHW8KYTV6aDJFINNXHOQ9rS5fYlE8DMtUXt1LUTSLU/tVQ0Mk1E1pb5tL2
IUFHz4MR+ULj7yRka6jB7DNi
-----END PRIVATE KEY-----
)PEM";

inline constexpr char rsa_public_pem[] = R"PEM(-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEApmpKUxwVeqszZXcQmZwz
pfT8dAIdesFAFzB+1ZFtWX8zI9UzwKz9gsMLBKRmrafODt0kp6eIA/awXFoc5nsj
2u22BeA8zzSeizBmB7dhUty4Y4Eoy6MUxQjbgz8QHzlgSk7es8+qJaV9Rk0ob5t1
ofol6IC0XkXUcOzn1gA/lHlwcIn54HO+sg3eYz+68GtlUbAzjOKj0Bet06rthyk1
CeoRpCmda//noe1wSZrGewNrV6LmL20Q3CrD4KNe64/Tog00/uvgEQaVQ0TV1cmj
ds/VIeyq4MbG3A8vinb5uT6ZLl3gzl9TeUmHyFjGWEDOydn/oRVEtHSkGnvImEQz
aQIDAQAB
-----END PUBLIC KEY-----
)PEM";

inline constexpr char ec_private_pem[] = R"PEM(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgar7kBe8qsFcwggR7
hdhOQNMTeiXmNrbovetQ8xfa6WuhRANCAAR6BVIi5eR9alRFUHcSFbe6F2zaD8ZU
rEQ607c6n3Uwt0I1FTNxvlP1wL6Lw4ps6mxx9S0345GUaVYUEbd0UCGo
-----END PRIVATE KEY-----
)PEM";

inline constexpr char ec_public_pem[] = R"PEM(-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEegVSIuXkfWpURVB3EhW3uhds2g/G
VKxEOtO3Op91MLdCNRUzcb5T9cC+i8OKbOpscfUtN+ORlGlWFBG3dFAhqA==
-----END PUBLIC KEY-----
)PEM";

// 32 bytes, the RFC 7518 section 3.2 minimum for HS256.
inline constexpr char hmac_secret[] = "bench-only-hs256-secret-32-bytes";

// Another key of each kind, for the refused-token benchmarks' "foreign-key" tokens: signed with
// these, verified with the keys above (and so refused).
inline constexpr char other_rsa_private_pem[] = R"PEM(-----BEGIN PRIVATE KEY-----
MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCz7JHbpsqfxDKi
uQ6NJopKSzuhG2BBkvDrSzvX3TIucXSOeV6461073JAHcie5Kjq9PnGMzAuJx5h6
SzvzAGGOc48AvuP0KvBNcMuqp8dKhj14gQHshGKmXNaI/YH4c9nsBbBPkGmY2OwQ
jyKAgKVFUvFitUELgPeYdZNYqLOqN7Lchdhim1YaAz86JG3DWa9c68VvyiWyxqM+
Z0oYmg0R9b+HspsbI2aT7oUcfIry6xRIAsDOdy1AEf+F83fgqAk4CTCvi6KluM5x
4gBZVfFhIxbpvCaLIkL+qY/F37vxzlQQkxIQ8AXVIzGNz37v6ciGZlmHgSfxPe0t
FxQsHmMrAgMBAAECggEAKAo/AWMyV3CplhXZu6a2gscQS4+UkbM6Ixq4hBbpGnXM
KwKuhjd2paI1eTq5xVa1ALVbPqqP7Mb600hX3IGatEFaMx/ICefeV1WBNYal7ptG
JcGL5I8nhv9FDPJhkKFzfzda37HzFf08N4kq8+7tGKrXJhDRG1bFguuzcTkF1pyz
J+ybsDTL1ZCFPKlk/FlpQAzF7x5NBxBX735JTV8FBZiDrF8Ju0OxpiDYlwu45CiE
4+FS+x9lmbMc2LvE8bzvk+6H35UgvsSq0BrY1k3QVjxoWAQ6X/zkNWDtR5HpeuP2
I6P2ycn9cPmOFNMTYLld+i9TWMbkiDOEbUUowH9PlQKBgQD2NZ7XU27c6FndEOAR
OIC1B16xDia6wxrPs7ABc+UJ+z8RqIUzMpDyf0Xi066Tru/Z8QmzMll73q9dQ8Vp
ud3lrTN4scCb/FF5LcarXaMf86h8RHP6HgsrLe/Xli8rgEKC1Ae39cxxYDt2OKYV
WjWQg+bL76j5+nYd/AMAzOpJJwKBgQC7FCxWBvoPkmypqN/KJ+UfalMTju3vmDCd
KDkMCg9/wYvfK8q/hLTOUrwNZxqn0IUj2PT7u6/ej1FDse/jfTacL4OZ2eE+Af6c
dKw7ZbBd8kVdYy0wGYQpxqXSDO5/qpySL0yDj7zmeR4yhxIUw5U5w55XHbCTJ5pc
2OHovfGwXQKBgGyE2cwitByeNO2hQIGWm/QumWgEysFKuYiOtKcPRAaQPQ41bvBP
+19HBbCiiLIDSyiOey4GpTZZwoWjF2IwUEOpgaRTBIg8QFTe/lAN55ZvuPV83nmB
wH55stsdERFlaOttNTG6HzBhsBO9iEalCjL2UEXXDm2QHXu91j0GFMXFAoGAOcji
ZPQkuzicLc+GyHeIMyrxXEIyxmX45iItdMWKwghzfsyVBJEmE/DEO1OUjS9AYLE8
AqGXkiQskr9cfKUJgDbA7H27MB8HmSYEqRgg4PPbbxwaMhg/lXPRdk8eP/rf/9ty
Q9TbIUlaBXtpH1bGOiBtQTVffCSobnNjXDOHetUCgYBuuZOeCF7i+cgaYHAS6F0y
lUeTFa9P5t/TOlivmDjN7jl2Y6aYtKgTpofG0ZOtmofjJxu1kntRbQGHszvjsy9Z
WSbbhhbfjdIOpnysbDN9ORKF4z+0wj1FrjADfAd4DX1s4Lrqpd/Q+dEGyc40iRiE
rZhyOR8QhOsJPeqa9/54ag==
-----END PRIVATE KEY-----
)PEM";

inline constexpr char other_ec_private_pem[] = R"PEM(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgfp49Jky0cGlkHCuD
FzOFvT02ULjT2w7KEh7FpOHkb6+hRANCAARKOMEcHUE9+5P6eVLlzBCVYlCqa2BQ
SgIppgTsb4bf9t4NdaRWMeDZS2kJLVhD/WXdI5QFfCNYhANDg5+beOcM
-----END PRIVATE KEY-----
)PEM";

inline constexpr char other_hmac_secret[] = "bench-only-other-secret-32-bytes";

}  // namespace bench::keys
