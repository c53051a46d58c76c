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

}  // namespace bench::keys
