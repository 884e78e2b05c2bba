BlogvarJH
×¼#t(>“~ê¾è¼ž¾