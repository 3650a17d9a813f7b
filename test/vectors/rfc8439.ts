// RFC 8439 ChaCha20 known answers, typed by hand from the RFC text (§2.3.2, §2.4.2, Appendix A.1 and A.2).
//
// RFC 8439 (Nir & Langley, June 2018) is the IETF ChaCha20: state = 4 constants ‖ 8 key words ‖ one 32-bit block
// counter (word 12) ‖ a 96-bit nonce (words 13–15), every word little-endian. The original ChaCha (Bernstein 2008)
// has a 64-bit counter in words 12–13 and a 64-bit nonce in words 14–15; vectors whose nonce has non-zero bytes in
// its first four octets (§2.3.2, §2.4.2) or a counter above 0 tell the two layouts apart. Where the RFC prints both
// the final state words and the serialized bytes, both are kept, so a typing slip in one is caught by the other
// (test/shared/secagg/chacha20-reference.test.ts checks that they agree).

/** A block-function vector: key, nonce, block counter, the state after the final addition, its serialization. */
export interface BlockVector {
  name: string;
  key: string;
  nonce: string;
  counter: number;
  /** The 16 state words at the end (after adding the input state), as printed. */
  stateAtEnd: readonly number[];
  /** The 64 serialized bytes (the keystream block). */
  keystream: string;
}

/** An encryption vector: the keystream from `counter` XORed with the plaintext. */
export interface EncryptionVector {
  name: string;
  key: string;
  nonce: string;
  counter: number;
  plaintext: Uint8Array;
  ciphertext: string;
  /** The keystream, where the RFC prints it. */
  keystream?: string;
}

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);
const KEY_00_1F = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
const ZERO_KEY = '00'.repeat(32);
const ZERO_NONCE = '00'.repeat(12);

/** §2.3.2 Test Vector for the ChaCha20 Block Function. */
export const BLOCK_2_3_2: BlockVector = {
  name: 'RFC 8439 §2.3.2',
  key: KEY_00_1F,
  nonce: '000000090000004a00000000',
  counter: 1,
  stateAtEnd: [
    0xe4e7f110, 0x15593bd1, 0x1fdd0f50, 0xc47120a3,
    0xc7f4d1c7, 0x0368c033, 0x9aaa2204, 0x4e6cd4c3,
    0x466482d2, 0x09aa9f07, 0x05d7c214, 0xa2028bd9,
    0xd19c12b5, 0xb94e16de, 0xe883d0cb, 0x4e3c50a2,
  ],
  keystream:
    '10f1e7e4d13b5915500fdd1fa32071c4' +
    'c7d1f4c733c068030422aa9ac3d46c4e' +
    'd2826446079faa0914c2d705d98b02a2' +
    'b5129cd1de164eb9cbd083e8a2503c4e',
};

/** Appendix A.1, The ChaCha20 Block Functions, test vectors #1–#5. */
export const BLOCKS_A_1: readonly BlockVector[] = [
  {
    name: 'RFC 8439 A.1 #1',
    key: ZERO_KEY,
    nonce: ZERO_NONCE,
    counter: 0,
    stateAtEnd: [
      0xade0b876, 0x903df1a0, 0xe56a5d40, 0x28bd8653,
      0xb819d2bd, 0x1aed8da0, 0xccef36a8, 0xc70d778b,
      0x7c5941da, 0x8d485751, 0x3fe02477, 0x374ad8b8,
      0xf4b8436a, 0x1ca11815, 0x69b687c3, 0x8665eeb2,
    ],
    keystream:
      '76b8e0ada0f13d90405d6ae55386bd28' +
      'bdd219b8a08ded1aa836efcc8b770dc7' +
      'da41597c5157488d7724e03fb8d84a37' +
      '6a43b8f41518a11cc387b669b2ee6586',
  },
  {
    name: 'RFC 8439 A.1 #2',
    key: ZERO_KEY,
    nonce: ZERO_NONCE,
    counter: 1,
    stateAtEnd: [
      0xbee7079f, 0x7a385155, 0x7c97ba98, 0x0d082d73,
      0xa0290fcb, 0x6965e348, 0x3e53c612, 0xed7aee32,
      0x7621b729, 0x434ee69c, 0xb03371d5, 0xd539d874,
      0x281fed31, 0x45fb0a51, 0x1f0ae1ac, 0x6f4d794b,
    ],
    keystream:
      '9f07e7be5551387a98ba977c732d080d' +
      'cb0f29a048e3656912c6533e32ee7aed' +
      '29b721769ce64e43d57133b074d839d5' +
      '31ed1f28510afb45ace10a1f4b794d6f',
  },
  {
    name: 'RFC 8439 A.1 #3',
    key: '00'.repeat(31) + '01',
    nonce: ZERO_NONCE,
    counter: 1,
    stateAtEnd: [
      0x2452eb3a, 0x9249f8ec, 0x8d829d9b, 0xddd4ceb1,
      0xe8252083, 0x60818b01, 0xf38422b8, 0x5aaa49c9,
      0xbb00ca8e, 0xda3ba7b4, 0xc4b592d1, 0xfdf2732f,
      0x4436274e, 0x2561b3c8, 0xebdd4aa6, 0xa0136c00,
    ],
    keystream:
      '3aeb5224ecf849929b9d828db1ced4dd' +
      '832025e8018b8160b82284f3c949aa5a' +
      '8eca00bbb4a73bdad192b5c42f73f2fd' +
      '4e273644c8b36125a64addeb006c13a0',
  },
  {
    name: 'RFC 8439 A.1 #4',
    key: '00ff' + '00'.repeat(30),
    nonce: ZERO_NONCE,
    counter: 2,
    stateAtEnd: [
      0xfb4dd572, 0x4bc42ef1, 0xdf922636, 0x327f1394,
      0xa78dea8f, 0x5e269039, 0xa1bebbc1, 0xcaf09aae,
      0xa25ab213, 0x48a6b46c, 0x1b9d9bcb, 0x092c5be6,
      0x546ca624, 0x1bec45d5, 0x87f47473, 0x96f0992e,
    ],
    keystream:
      '72d54dfbf12ec44b362692df94137f32' +
      '8fea8da73990265ec1bbbea1ae9af0ca' +
      '13b25aa26cb4a648cb9b9d1be65b2c09' +
      '24a66c54d545ec1b7374f4872e99f096',
  },
  {
    name: 'RFC 8439 A.1 #5',
    key: ZERO_KEY,
    nonce: '00'.repeat(11) + '02',
    counter: 0,
    stateAtEnd: [
      0x374dc6c2, 0x3736d58c, 0xb904e24a, 0xcd3f93ef,
      0x88228b1a, 0x96a4dfb3, 0x5b76ab72, 0xc727ee54,
      0x0e0e978a, 0xf3145c95, 0x1b748ea8, 0xf786c297,
      0x99c28f5f, 0x628314e8, 0x398a19fa, 0x6ded1b53,
    ],
    keystream:
      'c2c64d378cd536374ae204b9ef933fcd' +
      '1a8b2288b3dfa49672ab765b54ee27c7' +
      '8a970e0e955c14f3a88e741b97c286f7' +
      '5f8fc299e8148362fa198a39531bed6d',
  },
];

/** §2.4.2 Example and Test Vector for the ChaCha20 Cipher ("sunscreen"): two blocks from counter 1. */
export const ENCRYPTION_2_4_2: EncryptionVector = {
  name: 'RFC 8439 §2.4.2',
  key: KEY_00_1F,
  nonce: '000000000000004a00000000',
  counter: 1,
  plaintext: ascii("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it."),
  keystream:
    '224f51f3401bd9e12fde276fb8631ded8c131f823d2c06' +
    'e27e4fcaec9ef3cf788a3b0aa372600a92b57974cded2b' +
    '9334794cba40c63e34cdea212c4cf07d41b769a6749f3f' +
    '630f4122cafe28ec4dc47e26d4346d70b98c73f3e9c53a' +
    'c40c5945398b6eda1a832c89c167eacd901d7e2bf363',
  ciphertext:
    '6e2e359a2568f98041ba0728dd0d6981' +
    'e97e7aec1d4360c20a27afccfd9fae0b' +
    'f91b65c5524733ab8f593dabcd62b357' +
    '1639d624e65152ab8f530c359f0861d8' +
    '07ca0dbf500d6a6156a38e088a22b65e' +
    '52bc514d16ccf806818ce91ab7793736' +
    '5af90bbf74a35be6b40b8eedf2785e42' +
    '874d',
};

/** Appendix A.2, ChaCha20 Encryption, test vectors #1–#3. */
export const ENCRYPTIONS_A_2: readonly EncryptionVector[] = [
  {
    name: 'RFC 8439 A.2 #1',
    key: ZERO_KEY,
    nonce: ZERO_NONCE,
    counter: 0,
    plaintext: new Uint8Array(64),
    ciphertext:
      '76b8e0ada0f13d90405d6ae55386bd28' +
      'bdd219b8a08ded1aa836efcc8b770dc7' +
      'da41597c5157488d7724e03fb8d84a37' +
      '6a43b8f41518a11cc387b669b2ee6586',
  },
  {
    name: 'RFC 8439 A.2 #2',
    key: '00'.repeat(31) + '01',
    nonce: '00'.repeat(11) + '02',
    counter: 1,
    plaintext: ascii(
      'Any submission to the IETF intended by the Contributor for publication as all or part of an IETF ' +
        'Internet-Draft or RFC and any statement made within the context of an IETF activity is considered an ' +
        '"IETF Contribution". Such statements include oral statements in IETF sessions, as well as written and ' +
        'electronic communications made at any time or place, which are addressed to',
    ),
    ciphertext:
      'a3fbf07df3fa2fde4f376ca23e827370' +
      '41605d9f4f4f57bd8cff2c1d4b7955ec' +
      '2a97948bd3722915c8f3d337f7d37005' +
      '0e9e96d647b7c39f56e031ca5eb6250d' +
      '4042e02785ececfa4b4bb5e8ead0440e' +
      '20b6e8db09d881a7c6132f420e527950' +
      '42bdfa7773d8a9051447b3291ce1411c' +
      '680465552aa6c405b7764d5e87bea85a' +
      'd00f8449ed8f72d0d662ab052691ca66' +
      '424bc86d2df80ea41f43abf937d3259d' +
      'c4b2d0dfb48a6c9139ddd7f76966e928' +
      'e635553ba76c5c879d7b35d49eb2e62b' +
      '0871cdac638939e25e8a1e0ef9d5280f' +
      'a8ca328b351c3c765989cbcf3daa8b6c' +
      'cc3aaf9f3979c92b3720fc88dc95ed84' +
      'a1be059c6499b9fda236e7e818b04b0b' +
      'c39c1e876b193bfe5569753f88128cc0' +
      '8aaa9b63d1a16f80ef2554d7189c411f' +
      '5869ca52c5b83fa36ff216b9c1d30062' +
      'bebcfd2dc5bce0911934fda79a86f6e6' +
      '98ced759c3ff9b6477338f3da4f9cd85' +
      '14ea9982ccafb341b2384dd902f3d1ab' +
      '7ac61dd29c6f21ba5b862f3730e37cfd' +
      'c4fd806c22f221',
  },
  {
    name: 'RFC 8439 A.2 #3',
    key: '1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0',
    nonce: '00'.repeat(11) + '02',
    counter: 42,
    plaintext: ascii("'Twas brillig, and the slithy toves\nDid gyre and gimble in the wabe:\nAll mimsy were the borogoves,\nAnd the mome raths outgrabe."),
    ciphertext:
      '62e6347f95ed87a45ffae7426f27a1df' +
      '5fb69110044c0d73118effa95b01e5cf' +
      '166d3df2d721caf9b21e5fb14c616871' +
      'fd84c54f9d65b283196c7fe4f60553eb' +
      'f39c6402c42234e32a356b3e764312a6' +
      '1a5532055716ead6962568f87d3f3f77' +
      '04c6a8d1bcd1bf4d50d6154b6da731b1' +
      '87b58dfd728afa36757a797ac188d1',
  },
];

/** Every encryption vector. */
export const ENCRYPTIONS: readonly EncryptionVector[] = [ENCRYPTION_2_4_2, ...ENCRYPTIONS_A_2];
/** Every block vector. */
export const BLOCKS: readonly BlockVector[] = [BLOCK_2_3_2, ...BLOCKS_A_1];

export const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));
