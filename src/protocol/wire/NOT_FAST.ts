/** What `FastPathReader` answers for something it leaves to the generated decoder. */
export const NOT_FAST = -1;
